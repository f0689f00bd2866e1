// The JSON messages of docs/protocol.md. Unknown fields are ignored; optional ones may be absent or null.

export type Role = "USER" | "ADMIN";
export type UploadState = "ACTIVE" | "PAUSED" | "COMPLETED" | "CANCELLED" | "EXPIRED" | "FAILED" | "DELETED";

export const FINAL_STATES: ReadonlySet<UploadState> = new Set(["COMPLETED", "CANCELLED", "EXPIRED", "FAILED", "DELETED"]);

export interface AuthToken {
  token: string;
  expiresAt: string;
  userId: string;
  username: string;
  role: Role;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  online: boolean;
  disabled: boolean;
}

export interface CreateUpload {
  name: string;
  size: number;
  contentType?: string;
  sha256?: string;
  recipient?: string;
}

export interface UploadTicket {
  id: string;
  size: number;
  partSize: number;
  offset: number;
  maxChunkBytes: number;
  messageId?: number | null;
}

export interface UploadInfo {
  id: string;
  name: string;
  size: number;
  contentType?: string | null;
  state: UploadState;
  offset: number;
  partSize: number;
  sha256?: string | null;
  error?: string | null;
}

export interface UploadEvent {
  type: "STARTED" | "PROGRESS" | "PAUSED" | "RESUMED" | "COMPLETED";
  received: number;
  offset: number;
  state: UploadState;
  sha256?: string | null;
}

export interface UploadTelemetry {
  at: string;
  uploadId: string;
  state: UploadState;
  channelOpen: boolean;
  size: number;
  received: number;
  offset: number;
  creditsGranted: number;
  outstandingCredits: number;
  inFlightBytes: number;
  bufferedBytes: number;
  bufferCapacity: number;
  windowBytes: number;
  bytesPerSecond: number;
  limitBytesPerSecond?: number | null;
}

export interface FileInfo {
  id: string;
  name: string;
  size: number;
  contentType?: string | null;
  sha256?: string | null;
  createdAt: string;
}

export interface FileAttachment {
  uploadId: string;
  name: string;
  size: number;
  contentType?: string | null;
  state: UploadState;
  offset: number;
  sha256?: string | null;
}

export interface Message {
  id: number;
  from: string;
  to: string;
  kind: "TEXT" | "FILE";
  text?: string | null;
  file?: FileAttachment | null;
  deleted: boolean;
  sentAt: string;
}

export interface Conversation {
  peer: User;
  lastMessage?: Message | null;
  unread: number;
}

export interface ReadMarker {
  reader: string;
  peer: string;
  messageId: number;
  unread: number;
}

export interface TransferProgress {
  uploadId: string;
  messageId: number;
  from: string;
  to: string;
  state: UploadState;
  received: number;
  offset: number;
  size: number;
}

export type EventType = "MESSAGE" | "MESSAGE_UPDATED" | "READ" | "PRESENCE" | "USER" | "TRANSFER" | "RESYNC";

export interface RelayEvent {
  id?: number | null;
  type: EventType;
  at: string;
  message?: Message | null;
  read?: ReadMarker | null;
  user?: User | null;
  transfer?: TransferProgress | null;
}
