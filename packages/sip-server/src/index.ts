export const PACKAGE = 'sip-server';
