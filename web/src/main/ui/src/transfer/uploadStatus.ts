/**
 * An upload's status in this tab. It is not the service's UploadState: `reconnecting` exists only here, and
 * `failed` is the end of this attempt (the user may retry, or give up and cancel), not a final state.
 */
export type UploadStatus = "idle" | "uploading" | "paused" | "reconnecting" | "completed" | "failed" | "cancelled";

/**
 * Every move the controller may make; anything else is a bug. Staying in a status is not a move (events repeat the
 * current state all the time). `completed` and `cancelled` are final.
 */
export const TRANSITIONS: Readonly<Record<UploadStatus, readonly UploadStatus[]>> = {
  idle: ["uploading", "cancelled"],
  uploading: ["paused", "reconnecting", "completed", "failed", "cancelled"],
  // The chunks granted before the pause may carry the last bytes, so a paused upload can complete.
  paused: ["uploading", "reconnecting", "completed", "failed", "cancelled"],
  // The new channel reports the server's state: ACTIVE or PAUSED; or the upload ended meanwhile.
  reconnecting: ["uploading", "paused", "completed", "failed", "cancelled"],
  completed: [],
  // Retry, or give up.
  failed: ["uploading", "cancelled"],
  cancelled: [],
};

export function successors(status: UploadStatus): readonly UploadStatus[] {
  return TRANSITIONS[status];
}

export function canMoveTo(from: UploadStatus, to: UploadStatus): boolean {
  return successors(from).includes(to);
}

export function isFinal(status: UploadStatus): boolean {
  return successors(status).length === 0;
}

export class IllegalUploadTransition extends Error {
  constructor(
    readonly from: UploadStatus,
    readonly to: UploadStatus,
  ) {
    super(`An upload cannot move from ${from} to ${to}.`);
    this.name = "IllegalUploadTransition";
  }
}

/** Throws IllegalUploadTransition unless the table allows `from` → `to`. */
export function checkTransition(from: UploadStatus, to: UploadStatus): void {
  if (!canMoveTo(from, to)) throw new IllegalUploadTransition(from, to);
}
