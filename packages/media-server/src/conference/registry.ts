/** Conferences by name. */
import type { ServerContext } from '../context';
import { Conference } from './conference';

export class ConferenceRegistry {
  private readonly byName = new Map<string, Conference>();

  get(name: string): Conference | undefined {
    return this.byName.get(name);
  }

  getOrCreate(ctx: ServerContext, name: string, profile: string): Conference {
    let c = this.byName.get(name);
    if (!c) {
      c = new Conference(ctx, name, profile, (gone) => {
        if (this.byName.get(gone.name) === gone) this.byName.delete(gone.name);
      });
      this.byName.set(name, c);
    }
    return c;
  }

  list(): Conference[] {
    return [...this.byName.values()];
  }
}
