/** The SIP message layer: pure parsing, serialising and header handling (no I/O). */
export type * from './types';
export { parseMessage, DEFAULT_MAX_MESSAGE_BYTES } from './parser';
export type { ParseOptions } from './parser';
export { serializeMessage, serializeMessageText } from './serializer';
export { StreamFramer, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_BODY_BYTES } from './stream-framer';
export type { StreamFramerOptions } from './stream-framer';
export {
  getHeader,
  getHeaders,
  hasHeader,
  setHeader,
  addHeader,
  prependHeader,
  removeHeader,
} from './headers';
export { canonicalHeaderName, isListHeader } from './header-names';
export { splitHeaderValues, unquote, quote, unescapeUri } from './grammar';
export { parseParams, formatParams, emptyParams } from './params';
export { parseUri, formatUri } from './uri';
export { parseNameAddr, parseAnyNameAddr, formatNameAddr } from './name-addr';
export type { AnyNameAddr } from './name-addr';
export { parseVia, formatVia } from './via';
export { parseCSeq, formatCSeq, MAX_CSEQ } from './cseq';
export {
  callId,
  cseq,
  fromTag,
  toTag,
  topVia,
  topViaOf,
  rememberTopVia,
  branch,
  methodOf,
} from './accessors';
export { makeResponse } from './response';
export { ownString, requestSkeleton, bytesAsText, textAsBytes } from './retained';
export type { MakeResponseOptions } from './response';
export { reasonPhrase, StatusCode } from './status';
export type { StatusCodeName } from './status';
export { randomTag, randomBranch, randomCallId, BRANCH_MAGIC_COOKIE } from './ids';
