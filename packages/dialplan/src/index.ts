export const PACKAGE = 'dialplan';
