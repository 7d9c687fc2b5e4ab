// @peculiar/x509 resolves its algorithm registry through tsyringe, which throws at load time unless
// the Reflect metadata API exists. Every runtime use of @peculiar/x509 goes through this module so
// the polyfill is always evaluated first, whatever imports us.
import 'reflect-metadata';

export * from '@peculiar/x509';
