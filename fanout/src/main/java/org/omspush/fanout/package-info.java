/**
 * The fan-out to the participant's own systems: subscribers and their filters, the CloudEvents
 * envelope, Standard Webhooks signatures, the delivery worker with its retries, circuit breaker
 * and dead letters, the SSRF guard, and the signed payload URLs. It knows nothing of the ISO.
 */
package org.omspush.fanout;
