/**
 * SIP status codes and reason phrases (RFC 3261 §21 and later RFCs): the SIP server's one table,
 * so a response the PBX sends and one the server sends on its own read the same.
 */
export { reasonPhrase, StatusCode } from '@pbx/sip-server';
