// Package orgs holds the rules of organizations: teams of users with
// roles and permissions, invitations by email, and email domains that let
// people join. It knows nothing of HTTP: it takes values (the acting user,
// ids, inputs) and returns results or refusals, over a consumer-side
// [Store] that package store implements on SQLite.
//
// # Organizations and memberships
//
// [Service.Create] makes the creator the organization's first
// org:admin. A slug is unique among organizations; one made from the name
// gets a random suffix rather than failing. Config.MaxOrgsPerUser and
// Config.MaxMembers (which counts pending invitations) are optional
// limits. Every call that names an organization first checks that the
// acting user belongs to it ([Service.Access]): to anyone else its id is
// answered exactly like an unknown one, and ids of records of one
// organization (members, invitations, domains, requests, roles) find
// nothing in another.
//
// The last admin of an organization cannot leave, be removed or be
// demoted; the store checks it inside the write transaction, so two
// admins demoting each other at once leave one.
//
// An organization may require two-step verification of its members
// ([core.Org].RequireMFA): [Service.Enter] does not make it the active
// organization of a user without it ([ErrMFARequired]), and only an admin
// who has it may turn the requirement on.
//
// # Sensitive changes
//
// Deleting an organization, changing a member's role and changing the
// two-step verification requirement need the acting user to prove it's
// them again (reverification), which is the caller's part. The caller
// first asks [Service.CheckDelete], [Service.CheckSetRole] or
// [Service.CheckUpdate], so that a user who may not make the change is
// refused before being asked for a proof.
//
// # Roles and permissions
//
// Roles and permissions follow Clerk's model. Every organization has the
// system roles org:admin (every permission) and org:member
// ([PermMembersRead]), and the system permissions that guard this
// package's actions ([PermProfileManage], [PermMembersManage], ...). The
// app adds roles and permissions for every organization with [NewRoles]
// ("org:billing" holding "org:invoices:read"); an organization's admins
// add their own at run time ([Service.CreateRole],
// [Service.CreatePermission]). People who join by a verified domain get
// Config.DefaultRole, which may be any role but org:admin
// ([Roles.CanBeDefault]).
//
// A role is above a member when it holds a permission the member lacks
// ([PermissionSet.Covers]). Nobody grants such a role, by invitation or
// role change, nor changes or removes a member who holds one, nor defines
// a role with permissions they lack. So a member who manages members
// through a custom role cannot make anyone an admin. [Service.CanGrant]
// answers it for pages that offer only what the member may do.
//
// A [PermissionSet] is built once per session (see [Roles.SessionSet]) so
// that a check in a request is a map lookup with no allocation.
//
// # Invitations
//
// [Service.Invite] mails a link carrying a 256-bit token; the store keeps
// only its SHA-256 ([HashToken], which takes nothing longer than
// [MaxTokenLength]), and the invitation and its mail are written in one
// transaction (the caller renders the mail, of type M, in the compose
// function). An invitation is bound to the invited address (compared with
// Config.EmailKey: [Service.Invited]), works once, expires after
// Config.InvitationTTL (7 days by default) and can be revoked. To a user
// it was not sent to, an invitation is an unknown one
// ([Service.InvitationFor], [Service.Accept]), so that no answer reveals
// that a token exists.
//
// # Verified domains
//
// An admin claims a domain ([Service.AddDomain]) and proves control of it
// by receiving a 6-digit code at an address there
// ([Service.SendDomainCode], [Service.VerifyDomain]); codes follow the
// rules of every one-time code of embedauth (package internal/onetime):
// they are keyed with Config.CodeKey, a new code does not reset the count
// of wrong ones, and sends and attempts are capped. Public mail domains such as gmail.com are
// refused ([IsPublicDomain]). Users whose verified email is in a verified
// domain see the organization in [Service.Suggestions] and join it at once
// (automatic invitation) or ask to (automatic suggestion), per the
// domain's enrollment mode.
//
// # Storage
//
// A [Store] returns [core.ErrNotFound] for unknown records and for records
// of another organization than the one named, and checks, in the
// transaction of each write, the rules concurrent writers could break: the
// last admin, the limits, an invitation's single use. Every change writes
// its organization.* event (see core) in the same transaction.
//
// # Errors
//
// Refusals are [*core.Error] values: Kind is the sentinel to compare with
// errors.Is ([core.ErrNotFound], [ErrForbidden], [core.ErrConflict], ...),
// Code a stable identifier ("slug_taken", "role_escalation"), Field the
// input at fault, and Message a sentence safe to show a user.
package orgs
