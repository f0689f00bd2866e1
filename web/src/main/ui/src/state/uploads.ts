import type { Connection } from "../api/connection";
import { RelayError, humanMessage } from "../api/errors";
import type { AuthToken, UploadInfo } from "../api/wire";
import { PendingUploads, sameFile, type PendingUpload } from "../transfer/pending";
import { UploadController, fileSource, type TransferDeps } from "../transfer/upload";
import type { StoreServices } from "./services";

export interface LocalUpload {
  key: string;
  peerId: string;
  controller: UploadController;
}

export interface PendingOffer extends PendingUpload {
  info: UploadInfo;
}

/**
 * This tab's uploads, one controller each, and the unfinished uploads of earlier page loads (kept in IndexedDB with
 * their File), offered to be continued after logging in.
 */
export class Uploads {
  list: LocalUpload[] = [];
  offers: PendingOffer[] = [];
  readonly pending = new PendingUploads();

  constructor(
    private readonly services: StoreServices,
    private readonly deps: TransferDeps,
    private readonly auth: () => AuthToken | null,
  ) {}

  /** Sends files to a peer: each becomes a file message once the service has created its upload. */
  send(peer: string, files: File[]): void {
    for (const file of files) {
      const key = `local-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const controller = new UploadController(fileSource(file), this.deps, {
        recipient: peer,
        onTicket: (ticket) => {
          void this.pending.put({
            uploadId: ticket.id,
            userId: this.auth()!.userId,
            recipientId: peer,
            name: file.name,
            size: file.size,
            type: file.type,
            lastModified: file.lastModified,
            maxChunkBytes: ticket.maxChunkBytes,
            createdAt: Date.now(),
            file,
          });
          this.services.changed();
        },
      });
      this.track(key, peer, controller);
    }
  }

  find(uploadId: string): UploadController | undefined {
    return this.list.find((u) => u.controller.uploadId === uploadId)?.controller;
  }

  /** Uploads being created (no message yet) for a conversation. */
  creatingFor(peer: string): LocalUpload[] {
    return this.list.filter((u) => u.peerId === peer && !u.controller.uploadId);
  }

  /** After logging in: the unfinished uploads of earlier page loads that the service can still continue. */
  async loadOffers(connection: Connection): Promise<void> {
    const userId = this.auth()?.userId;
    if (!userId) return;
    const records = await this.pending.list(userId);
    const offers: PendingOffer[] = [];
    for (const record of records) {
      if (this.find(record.uploadId)) continue;
      try {
        const info = await connection.request<UploadInfo>(`uploads.${record.uploadId}`);
        if (info.state === "ACTIVE" || info.state === "PAUSED") offers.push({ ...record, info });
        else await this.pending.remove(record.uploadId);
      } catch (e) {
        if (RelayError.from(e).code === "NOT_FOUND") await this.pending.remove(record.uploadId);
      }
    }
    this.offers = offers;
    this.services.changed();
  }

  /** Continues an upload from a previous page load, with the stored file or one the user picked again. */
  continueOffer(offer: PendingOffer, picked?: File): void {
    const blob = picked ?? offer.file;
    if (!blob) return;
    if (picked && !sameFile(offer, picked)) {
      this.services.notify("error", `${picked.name}: ${humanMessage(new RelayError("FILE_MISMATCH", ""))}`);
      return;
    }
    if (picked) void this.pending.put({ ...offer, file: picked });
    this.offers = this.offers.filter((o) => o.uploadId !== offer.uploadId);
    const controller = new UploadController(fileSource(blob, offer.name), this.deps, {
      uploadId: offer.uploadId,
      maxChunkBytes: offer.maxChunkBytes,
    });
    this.track(`resume-${offer.uploadId}`, offer.recipientId ?? "", controller);
  }

  async discardOffer(offer: PendingOffer): Promise<void> {
    this.offers = this.offers.filter((o) => o.uploadId !== offer.uploadId);
    this.services.changed();
    await this.pending.remove(offer.uploadId);
    try {
      await (await this.services.connection()).request(`uploads.${offer.uploadId}.cancel`);
    } catch (e) {
      this.services.notify("error", humanMessage(e));
    }
  }

  /** Logging out: local work stops, the uploads stay open on the service (and in IndexedDB) for later. */
  detachAll(): void {
    for (const upload of this.list) upload.controller.detach();
  }

  reset(): void {
    this.list = [];
    this.offers = [];
  }

  private track(key: string, peer: string, controller: UploadController): void {
    this.list = [...this.list, { key, peerId: peer, controller }];
    this.services.changed();
    void controller.start().then((result) => {
      if (result.status === "failed") {
        this.services.notify("error", `${result.name}: ${humanMessage(result.error)}`);
        // A failed create leaves no message behind: drop the card.
        if (!result.uploadId) this.list = this.list.filter((u) => u.key !== key);
      }
      if (result.uploadId && (result.status !== "failed" || !isResumable(result.error))) void this.pending.remove(result.uploadId);
      this.services.changed();
    });
  }
}

function isResumable(error?: RelayError): boolean {
  return !!error && ["TAKEN_OVER", "FILE_CHANGED"].includes(error.code);
}
