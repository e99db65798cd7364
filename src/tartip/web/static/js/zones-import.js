// The zone list's GeoJSON import: a dry run shows what would be created and repaired.
import { call, showError } from "./zones-common.js";

const form = document.getElementById("import-form");
const result = document.getElementById("import-result");
const T = JSON.parse(document.getElementById("zones-strings").textContent);

function showReport(report) {
  result.replaceChildren();
  const list = document.createElement("ul");
  list.dataset.testid = "import-report";
  for (const z of report.zones) {
    const item = document.createElement("li");
    const verb = report.dry_run ? T.would_create : T.created;
    item.textContent = `${verb}: #${z.index} ${z.name} (${z.kind}${z.code ? `, ${z.code}` : ""})`;
    for (const repair of z.repairs) {
      const note = document.createElement("div");
      note.className = "muted";
      note.dataset.testid = "import-repair";
      note.textContent = `${T.repaired}: ${repair}`;
      item.append(note);
    }
    list.append(item);
  }
  result.append(list);
}

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const dryRun = event.submitter && event.submitter.value === "true";
    const publish = form.elements.publish.checked;
    const data = new FormData();
    data.append("file", form.elements.file.files[0]);
    try {
      const report = await call("POST", `/zones/import?dry_run=${dryRun}&publish=${publish}`, data, true);
      showReport(report);
      if (!dryRun) window.setTimeout(() => window.location.reload(), 800);
    } catch (error) {
      showError(result, error, T.failed);
    }
  });
}
