"""The vocabulary of field operations: staff, tasks and their life, proof of work."""

from enum import StrEnum


class TravelMode(StrEnum):
    """How a member of staff moves between tasks."""

    on_foot = "on_foot"
    e_bike = "e_bike"
    car = "car"


class TaskKind(StrEnum):
    """What a task asks the scout to do."""

    tidy_cluster = "tidy_cluster"  # stand up and spread a clutter of vehicles
    move_to_parking = "move_to_parking"  # move vehicles to a parking place
    inspect_vehicle = "inspect_vehicle"  # look at one vehicle (damaged, disabled for long)
    patrol_zone = "patrol_zone"  # walk a duty zone and put it in order


class TaskOrigin(StrEnum):
    """Where a task came from: a violation, a complaint, a supervisor (``manual``); the demo history
    also writes ``event`` tasks, and ``damage`` is reserved."""

    violation = "violation"
    manual = "manual"
    complaint = "complaint"
    damage = "damage"
    event = "event"


class TaskState(StrEnum):
    """Where a task is in its life: new → assigned → accepted → in_progress → done."""

    new = "new"
    assigned = "assigned"
    accepted = "accepted"
    in_progress = "in_progress"
    done = "done"
    could_not_do = "could_not_do"  # the scout came or tried, and says why not
    auto_closed = "auto_closed"  # its violation cleared before anyone started
    cancelled = "cancelled"  # a supervisor withdrew it


OPEN_STATES = frozenset(
    {TaskState.new, TaskState.assigned, TaskState.accepted, TaskState.in_progress}
)
# States the planner may still move to another scout (nobody has said yes yet).
PLANNABLE_STATES = frozenset({TaskState.new, TaskState.assigned})


class TaskAction(StrEnum):
    """What a person (or a job) does to a task."""

    assign = "assign"
    unassign = "unassign"
    accept = "accept"
    start = "start"
    finish = "finish"
    could_not_do = "could_not_do"
    cancel = "cancel"
    auto_close = "auto_close"


class PhotoStage(StrEnum):
    """When a proof-of-work photo was taken."""

    before = "before"
    after = "after"
    damage = "damage"


class DamageKind(StrEnum):
    """What is wrong with a vehicle a scout reports from the spot."""

    broken = "broken"
    vandalised = "vandalised"
    in_water = "in_water"
    missing_parts = "missing_parts"
    other = "other"


class CoverageState(StrEnum):
    """Whether a duty zone is watched right now."""

    covered = "covered"  # a scout on shift here has checked in
    expected = "expected"  # a shift runs now but nobody has checked in
    uncovered = "uncovered"  # no shift at all


class SyncKind(StrEnum):
    """The actions a phone queues while offline and replays through the sync API."""

    accept = "accept"
    start = "start"
    finish = "finish"
    could_not_do = "could_not_do"
    check_in = "check_in"
    check_out = "check_out"
    position = "position"
    damage = "damage"


class SyncStatus(StrEnum):
    """What the server did with one synced action."""

    applied = "applied"
    duplicate = "duplicate"  # seen before with the same content: the first answer is returned
    rejected = "rejected"  # the action was not valid (wrong state, bad input); kept as rejected
    conflict = "conflict"  # the same id came with different content: refused
