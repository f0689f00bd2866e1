import { collect, type Connection } from "../api/connection";
import type { User } from "../api/wire";

/** What administrators (role ADMIN) can do: list, disable and enable users, delete stored files. */
export class Admin {
  constructor(private readonly connection: () => Promise<Connection>) {}

  async users(): Promise<User[]> {
    return collect<User>(await this.connection(), "admin.users.list");
  }

  async setDisabled(userId: string, disabled: boolean): Promise<User> {
    return (await this.connection()).request<User>(`admin.users.${userId}.${disabled ? "disable" : "enable"}`);
  }

  async deleteFile(fileId: string): Promise<void> {
    await (await this.connection()).request(`admin.files.${fileId}.delete`);
  }
}
