// Photos waiting to be uploaded, kept in IndexedDB (a photo is too big for localStorage).
const DB_NAME = "tartip-scout";
const STORE = "photos";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function openPhotoStore() {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id" });
  const db = await request(open);
  const store = (mode) => db.transaction(STORE, mode).objectStore(STORE);
  return {
    put: (record) => request(store("readwrite").put(record)),
    get: (id) => request(store("readonly").get(id)),
    delete: (id) => request(store("readwrite").delete(id)),
  };
}
