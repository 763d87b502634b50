import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ChangeWatcher, type ChangeWatcherOptions } from './change-watcher';
import { defaultKeyPath, loadOrCreateKey, PasswordCipher } from './credentials';
import { Database } from './database';
import type { Logger } from './logger';
import { migrate, type MigrateResult } from './migrate';
import { AccessLogRepo } from './repos/access-log-repo';
import { AuditRepo } from './repos/audit-repo';
import { BlockRepo } from './repos/block-repo';
import { BillingRepo } from './repos/billing-repo';
import { CdrRepo } from './repos/cdr-repo';
import { ChangeRepo } from './repos/change-repo';
import { MailboxRepo } from './repos/mailbox-repo';
import { MessageRepo } from './repos/message-repo';
import { NumberPlanRepo } from './repos/number-plan-repo';
import { RegistrationRepo } from './repos/registration-repo';
import { RingGroupRepo } from './repos/ring-group-repo';
import { StationRepo } from './repos/station-repo';
import { SystemOptionRepo } from './repos/system-option-repo';
import { TrunkRepo } from './repos/trunk-repo';
import { VoicemailRepo } from './repos/voicemail-repo';
import { WebAuthRepo } from './repos/web-auth-repo';
import { WhitelistRepo } from './repos/whitelist-repo';
import { ContactRepo } from './repos/contact-repo';
import { ChatGroupRepo } from './repos/chat-group-repo';

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** SQLite file (`:memory:` for a private in-memory database). Its folder is created. */
  path: string;
  /** Password key file; defaults to `<path>.key`, created on first use (mode 0600). */
  keyPath?: string;
  /** Folder of migration files; found by walking up from this package when omitted. */
  migrationsDir?: string;
  /** Migrate only up to this version (upgrade tests). */
  upTo?: number;
  busyTimeoutMs?: number;
  /** Time source for the repositories (epoch ms). */
  clock?: () => number;
  logger?: Logger;
}

/**
 * The database of one installation: opens the file, applies pending migrations and holds one
 * repository per table.
 */
export class Store {
  readonly stations: StationRepo;
  readonly registrations: RegistrationRepo;
  readonly whitelist: WhitelistRepo;
  readonly accessLog: AccessLogRepo;
  readonly blocks: BlockRepo;
  readonly options: SystemOptionRepo;
  readonly changes: ChangeRepo;
  readonly numberPlan: NumberPlanRepo;
  readonly ringGroups: RingGroupRepo;
  readonly cdrs: CdrRepo;
  readonly audit: AuditRepo;
  readonly trunks: TrunkRepo;
  readonly billing: BillingRepo;
  readonly mailboxes: MailboxRepo;
  readonly messages: MessageRepo;
  readonly voicemail: VoicemailRepo;
  /** Web console and CTI passwords (hashes). */
  readonly webAuth: WebAuthRepo;
  /** External contacts of the web console (shared and personal). */
  readonly contacts: ContactRepo;
  /** Chat groups ("text conferences") and their members. */
  readonly chatGroups: ChatGroupRepo;

  private constructor(
    readonly db: Database,
    readonly migration: MigrateResult,
    cipher: PasswordCipher,
    private readonly logger: Logger | undefined,
    clock: () => number,
  ) {
    this.stations = new StationRepo(db, cipher, clock);
    this.registrations = new RegistrationRepo(db, clock);
    this.whitelist = new WhitelistRepo(db, clock);
    this.accessLog = new AccessLogRepo(db, clock);
    this.blocks = new BlockRepo(db, clock);
    this.options = new SystemOptionRepo(db, clock);
    this.changes = new ChangeRepo(db);
    this.numberPlan = new NumberPlanRepo(db, clock);
    this.ringGroups = new RingGroupRepo(db, clock);
    this.cdrs = new CdrRepo(db, clock);
    this.audit = new AuditRepo(db, clock);
    this.trunks = new TrunkRepo(db, cipher, clock);
    this.billing = new BillingRepo(db, clock);
    this.mailboxes = new MailboxRepo(db, clock);
    this.messages = new MessageRepo(db, clock);
    this.voicemail = new VoicemailRepo(db, clock);
    this.webAuth = new WebAuthRepo(db, clock);
    this.contacts = new ContactRepo(db, clock);
    this.chatGroups = new ChatGroupRepo(db, clock);
  }

  /** Opens and migrates the database. */
  static async open(options: StoreOptions): Promise<Store> {
    const memory = options.path === ':memory:' || options.path === '';
    // The key file is written before SQLite creates the database, so make the folder first.
    if (!memory) makeFolder(dirname(resolve(options.path)));
    const cipher =
      memory && options.keyPath === undefined
        ? PasswordCipher.ephemeral()
        : new PasswordCipher(loadOrCreateKey(options.keyPath ?? defaultKeyPath(options.path)));
    const db = await Database.open(options.path, { busyTimeoutMs: options.busyTimeoutMs });
    try {
      const migration = await migrate(db, { dir: options.migrationsDir, upTo: options.upTo });
      return new Store(db, migration, cipher, options.logger, options.clock ?? Date.now);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** A started watcher of the change counters (stop it before closing the store). */
  async watch(options: ChangeWatcherOptions = {}): Promise<ChangeWatcher> {
    const watcher = new ChangeWatcher(this.db, { logger: this.logger, ...options });
    await watcher.start();
    return watcher;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir can spin forever on paths such as
 * /proc/x/y. A folder that cannot be made is left to SQLite to report.
 */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!existsSync(d) && missing.length < 64) {
    missing.unshift(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch {
      return;
    }
  }
}
