import { humanMessage } from "../api/errors";
import * as http from "../api/http";
import type { FileAttachment, TransferProgress } from "../api/wire";
import { DownloadController, MemorySink, type ByteSink } from "../transfer/download";
import type { TransferDeps } from "../transfer/upload";
import type { StoreServices } from "./services";

/**
 * Files in conversations, apart from this tab's own uploads: the progress the service reports for each upload
 * (TRANSFER events, state changes by MESSAGE_UPDATED), and downloading them, in the app or by the browser.
 */
export class Transfers {
  /** Live progress of file messages from TRANSFER events, by upload id. */
  progress = new Map<string, TransferProgress>();
  downloads = new Map<string, DownloadController>();

  constructor(
    private readonly services: StoreServices,
    private readonly deps: TransferDeps,
    private readonly token: () => string,
  ) {}

  /** A TRANSFER event. */
  progressed(progress: TransferProgress): void {
    this.progress.set(progress.uploadId, progress);
  }

  /** A MESSAGE_UPDATED event of a file message: its state and durable offset. */
  fileUpdated(file: FileAttachment): void {
    const t = this.progress.get(file.uploadId);
    if (t) this.progress.set(file.uploadId, { ...t, state: file.state, offset: file.offset });
  }

  async download(uploadId: string, name: string, size: number, contentType?: string | null): Promise<void> {
    const existing = this.downloads.get(uploadId);
    if (existing && existing.snapshot.status !== "failed" && existing.snapshot.status !== "cancelled") return;
    let sink: ByteSink;
    let memory: MemorySink | undefined;
    const picker = (window as any).showSaveFilePicker as undefined | ((o: object) => Promise<any>);
    if (picker) {
      try {
        const handle = await picker({ suggestedName: name });
        const writable = await handle.createWritable();
        sink = {
          write: (chunk) => writable.write(chunk),
          close: () => writable.close(),
          abort: () => writable.abort(),
        };
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        memory = new MemorySink();
        sink = memory;
      }
    } else {
      memory = new MemorySink();
      sink = memory;
    }
    const controller = new DownloadController(uploadId, name, size, sink, this.deps);
    this.downloads.set(uploadId, controller);
    this.services.changed();
    const result = await controller.start();
    if (result.status === "completed" && memory) saveBlob(memory.blob(contentType ?? undefined), name);
    if (result.status === "failed") this.services.notify("error", `${name}: ${humanMessage(result.error)}`);
    this.services.changed();
  }

  /**
   * Hands the file to the browser's own download manager through a short-lived HTTP link (ranges, so the browser
   * can resume it too): the alternative to the in-app download where the File System Access API is missing.
   */
  async downloadWithBrowser(uploadId: string, name: string): Promise<void> {
    try {
      const link = await http.downloadLink(uploadId, this.token());
      const a = document.createElement("a");
      a.href = link.url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      this.services.notify("error", `${name}: ${humanMessage(e)}`);
    }
  }

  /** Logging out: running downloads stop. */
  cancelDownloads(): void {
    for (const download of this.downloads.values()) void download.cancel();
  }

  reset(): void {
    this.progress = new Map();
    this.downloads = new Map();
  }
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
