export interface Notice {
  id: number;
  severity: "error" | "warning" | "info" | "success";
  text: string;
}

/** Messages for the user, shown one at a time, oldest first. They outlive a logout. */
export class Notices {
  list: Notice[] = [];
  private lastId = 0;

  constructor(private readonly changed: () => void) {}

  notify(severity: Notice["severity"], text: string): void {
    const notice = { id: ++this.lastId, severity, text };
    this.list = [...this.list, notice];
    this.changed();
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
    this.changed();
  }
}
