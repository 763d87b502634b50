import type { Classification, FeatureId } from '@pbx/dialplan';
import {
  forwardAll,
  forwardBusy,
  forwardBusyNoAnswer,
  forwardClear,
  forwardNoAnswer,
} from './call-forward';
import { conference, conferenceRoom } from './conference';
import { dnd } from './dnd';
import { voicemail } from './voicemail';
import { park, parkRetrieve } from './park';
import { pickupDirected, pickupGroup, pickupMyGroup } from './pickup';
import { refuse, type FeatureContext, type FeatureHandler, type FeatureResult } from './types';

/** Every feature code's handler, keyed by the dialplan's feature id. */
export const FEATURE_HANDLERS: { readonly [F in FeatureId]: FeatureHandler<F> } = {
  'forward.clear': forwardClear,
  'forward.all': forwardAll,
  'forward.busy': forwardBusy,
  'forward.noAnswer': forwardNoAnswer,
  'forward.busyNoAnswer': forwardBusyNoAnswer,
  dnd,
  conference,
  'conference.room': conferenceRoom,
  park,
  parkRetrieve,
  'pickup.directed': pickupDirected,
  'pickup.group': pickupGroup,
  'pickup.myGroup': pickupMyGroup,
  voicemail,
};

/**
 * Runs the handler for a classified feature code. A `featureError` classification (missing
 * digits, bad argument) changes nothing and still answers 480, with the dialplan's reason.
 */
export function runFeature(
  c: Extract<Classification, { kind: 'feature' | 'featureError' }>,
  ctx: FeatureContext,
): Promise<FeatureResult> {
  if (c.kind === 'featureError') {
    const note =
      c.reason === 'unknown-station'
        ? 'unknown-station'
        : c.reason === 'missing-argument'
          ? 'missing-argument'
          : 'bad-argument';
    return Promise.resolve(refuse(note, c.detail));
  }
  const handler: FeatureHandler = FEATURE_HANDLERS[c.feature];
  return handler.run(ctx, c.arg);
}

export * from './types';
export {
  forwardAll,
  forwardBusy,
  forwardBusyNoAnswer,
  forwardClear,
  forwardNoAnswer,
} from './call-forward';
export { conference, conferenceRoom, MAX_CONFERENCE_PARTIES } from './conference';
export { dnd } from './dnd';
export { latestHeld, park, parkRetrieve } from './park';
export {
  chooseRinging,
  findReplacedLeg,
  pickupDirected,
  pickupGroup,
  pickupMyGroup,
  ringingCalls,
} from './pickup';
export type { ReplacesTarget } from './pickup';
export { MemoryCallStore, MemoryConferenceStore, MemoryParkStore } from './memory-store';
export { StationStateMap } from './station-state-map';
