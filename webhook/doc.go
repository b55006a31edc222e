// Package webhook sends embedauth's events to the app's webhook endpoints,
// signed as Standard Webhooks define (https://www.standardwebhooks.com),
// and verifies such webhooks for apps that receive them.
//
// # Receiving
//
// A receiver checks each request with [Verify] and the endpoint's secret
// ("whsec_" and base64), then uses the webhook-id header as an idempotency
// key: delivery is at least once.
//
//	body, _ := io.ReadAll(r.Body)
//	if err := webhook.Verify(secret, r.Header, body); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// Every request is a POST with Content-Type application/json and:
//
//	webhook-id         the event id (evt_...), the same on every attempt and for every endpoint
//	webhook-timestamp  the attempt's time, Unix seconds (Verify allows 5 minutes either way)
//	webhook-signature  "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body));
//	                   for 24 hours after a secret rotation, two of them, space-separated
//
// # Payloads
//
// The body is a [Payload], like Clerk's: {"type": ..., "timestamp": ...,
// "data": ...}, where timestamp is when the event happened in Unix
// milliseconds, and the bytes are the same on every attempt. The events
// ([EventTypes]) and their data:
//
//	user.created, user.updated      the user: id, email, email_verified, name, banned,
//	                                has_password, public_metadata, unsafe_metadata,
//	                                created_at, updated_at (never private_metadata)
//	user.deleted                    {"id", "deleted": true}
//	session.created                 {"id", "user_id", "auth_method"}
//	session.ended                   {"id", "user_id", "reason"} (signed_out, revoked, expired, ...)
//	email.created, sms.created      {"id", "to", "template"}: a message was queued (never its body)
//	organization.created, .updated  the organization: id, name, slug, logo_url, created_by, ...
//	organization.deleted            {"id", "slug", "deleted": true}
//	organization.membership.*       the membership: id, org_id, user_id, role, created_at, updated_at
//	organization.invitation.*       the invitation: id, org_id, email, role, inviter_id, status, ...
//	passkey.created, .deleted       {"id", "user_id", "name"}
//	passkey.clone_suspected         {"id", "user_id", "name", "observed_sign_count", "stored_sign_count"}
//
// The OpenAPI document (GET /auth/api/openapi.json) has them as schemas,
// in its "webhooks" section.
//
// # Delivery
//
// The [Dispatcher] reads the events outbox, which storage writes in the
// same transaction as the change an event describes: an event exists
// exactly when its change does, so a crash between the commit and the
// send loses nothing. It fans each event out to the enabled endpoints
// subscribed to its type (created before the event) and sends each
// endpoint its messages in order: a message is attempted only once the
// older ones to that endpoint were delivered or given up. A 2xx answer
// delivers it; anything else, a redirect (3xx, never followed) included,
// is a failure, retried on Svix's schedule (after 5 s, 5 min, 30 min, 2 h,
// 5 h, 10 h and 10 h: [DefaultSchedule]) or later when the receiver sends
// Retry-After; after the eighth attempt the message is failed for good
// (and may be replayed). An endpoint that answers 410 Gone, or fails for 5
// days without a success, is disabled. Each request has 15 seconds. Every
// attempt is logged with its answer's status and the start of its body.
//
// # Managing endpoints
//
// [Endpoints] holds the rules of administering endpoints over a small
// [EndpointStore]: URLs pass the [Guard], event types must be known,
// signing secrets are made here and stored sealed by a [Sealer], and a
// rotated-out secret keeps signing for [SecretOverlap]. Its refusals
// ([ErrEndpointNotFound], [ErrEventNotFound], a bad URL, an unknown event
// type) are [*core.Error] values with stable codes.
//
// # Server-side request forgery
//
// [Guard] keeps deliveries away from the app's own networks: endpoint
// URLs whose host is or resolves to a loopback, private, link-local (cloud
// metadata services: 169.254.169.254, fd00:ec2::254), shared or otherwise
// special address are refused when saved, and the same check runs on the
// address of every connection (a net.Dialer Control function), so a name
// that resolves elsewhere later (DNS rebinding) is refused too. No proxy
// from the environment is used. Networks the app names (a receiver on the
// same host) are allowed, and only those may use plain http.
package webhook
