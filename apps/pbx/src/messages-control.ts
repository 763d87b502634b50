/**
 * The instant-message module, wired: the relay on the MESSAGE SIP port, told when stations
 * register (welcome message, queued messages) and when `pbx message send` queued something.
 * Part of the composition root (modules.ts installs it after call control).
 */
import type { AppContext, PbxModule } from './context';
import type { CallControl } from './call-control';
import type { RegistrationLookup } from './engine/registration-lookup';
import { MessageRelay } from './messages/message-relay';
import type { MessageSipPort } from './messages/sip-port';

export interface MessagesControl extends PbxModule {
  readonly name: 'messages';
  readonly relay: MessageRelay;
}

export async function installMessages(
  ctx: AppContext,
  sip: MessageSipPort,
  calls: CallControl,
  registrations: RegistrationLookup,
): Promise<MessagesControl> {
  const log = ctx.log.child({ module: 'messages' });
  const { stations } = calls;
  const natCheck = (tel: string) => stations.row(tel)?.natCheck ?? 'ip';
  const relay = new MessageRelay({
    sip,
    store: ctx.store,
    isStation: (tel) => stations.has(tel),
    isStationAt: (tel, source) =>
      stations.has(tel) && registrations.matchesSource(tel, source, natCheck(tel)),
    contacts: (tel) => registrations.locateAll(tel, natCheck(tel)),
    domain: () => ctx.config.sip.domain,
    maxBytes: () => ctx.config.messages.maxBytes,
    welcome: () => ctx.config.messages.welcome,
    displayName: (tel) => stations.displayName(tel),
    log,
    now: ctx.now,
  });
  await relay.load();
  // Registered after being away (or for the first time since start-up).
  const registered = new Set<string>();
  registrations.onChange((tel) => {
    const now = registrations.isRegistered(tel);
    if (now && !registered.has(tel)) void relay.onRegistered(tel);
    if (now) registered.add(tel);
    else registered.delete(tel);
  });
  return {
    name: 'messages',
    relay,
    async onChange(area) {
      if (area === 'messages') await relay.deliverAllPending();
    },
  };
}
