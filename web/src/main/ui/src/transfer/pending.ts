// Unfinished uploads survive a reload or a closed tab: their descriptions, and the File itself where the browser
// lets us keep it (Chromium and Firefox store Blobs in IndexedDB), so the user need not choose it again.

export interface PendingUpload {
  uploadId: string;
  userId: string;
  recipientId?: string;
  name: string;
  size: number;
  type: string;
  lastModified: number;
  maxChunkBytes: number;
  createdAt: number;
  /** The file's bytes; absent when the browser would not store them (the user is asked for the file again). */
  file?: Blob;
}

const DB = "relay";
const STORE = "pendingUploads";

function openDb(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(DB, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: "uploadId" });
      store.createIndex("userId", "userId");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(request: IDBRequest): Promise<any> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class PendingUploads {
  private db?: Promise<IDBDatabase>;

  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  private open(): Promise<IDBDatabase> {
    if (!this.factory) return Promise.reject(new Error("IndexedDB is not available"));
    return (this.db ??= openDb(this.factory));
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.open()).transaction(STORE, mode).objectStore(STORE);
  }

  /** Saves the record with its file; if the browser refuses the file (quota), saves the description alone. */
  async put(record: PendingUpload): Promise<boolean> {
    try {
      await done((await this.store("readwrite")).put(record));
      return true;
    } catch {
      const { file: _file, ...withoutFile } = record;
      await done((await this.store("readwrite")).put(withoutFile)).catch(() => {});
      return false;
    }
  }

  async remove(uploadId: string): Promise<void> {
    await done((await this.store("readwrite")).delete(uploadId)).catch(() => {});
  }

  async list(userId: string): Promise<PendingUpload[]> {
    try {
      const store = await this.store("readonly");
      return (await done(store.index("userId").getAll(userId))) as PendingUpload[];
    } catch {
      return [];
    }
  }
}

/** Whether `file` is plausibly the one the upload was started with (the user picked it again). */
export function sameFile(record: Pick<PendingUpload, "name" | "size" | "lastModified">, file: { name: string; size: number; lastModified: number }): boolean {
  return record.name === file.name && record.size === file.size && record.lastModified === file.lastModified;
}
