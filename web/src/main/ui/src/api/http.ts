import { RelayError } from "./errors";
import type { AuthToken } from "./wire";

/** The HTTP auth endpoints (docs/protocol.md §2). */
export async function postJson<T>(path: string, body: unknown, token?: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new RelayError("UNREACHABLE", `Cannot reach the server: ${(e as Error).message}`);
  }
  const text = await response.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // a proxy's HTML error page, for example
  }
  if (!response.ok) {
    if (response.status >= 502 && response.status <= 504 && !json?.code) {
      throw new RelayError("UNREACHABLE", `The server is unreachable (HTTP ${response.status}).`);
    }
    throw new RelayError(json?.code ?? `HTTP_${response.status}`, json?.message ?? `HTTP ${response.status}`, json?.offset);
  }
  return json as T;
}

/** invite: an administrator's invite code, or the setup token of a service without an administrator. */
export const register = (username: string, password: string, invite?: string) =>
  postJson<AuthToken>("/api/auth/register", invite ? { username, password, invite } : { username, password });

export const login = (username: string, password: string) =>
  postJson<AuthToken>("/api/auth/login", { username, password });

/** A short-lived URL that downloads one file without a header: for the browser's own download manager. */
export const downloadLink = (fileId: string, token: string) =>
  postJson<{ url: string; expiresAt: string }>(`/api/files/${encodeURIComponent(fileId)}/link`, {}, token);
