package orgs

import (
	"context"
	"errors"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

func checkMode(mode string) (string, error) {
	switch mode {
	case "":
		return core.EnrollmentManual, nil
	case core.EnrollmentManual, core.EnrollmentAutoInvite, core.EnrollmentAutoSuggest:
		return mode, nil
	}
	return "", invalid("enrollment_mode", "invalid_enrollment_mode",
		"The enrollment mode is one of manual_invitation, automatic_invitation and automatic_suggestion.")
}

// Domains lists an organization's domains. It needs [PermDomainsRead].
func (s *Service[M]) Domains(ctx context.Context, userID, orgID string) ([]core.Domain, error) {
	if _, err := s.Require(ctx, userID, orgID, PermDomainsRead); err != nil {
		return nil, err
	}
	return s.domainStore.Domains(ctx, orgID)
}

// AddDomain claims an email domain for an organization, unverified until
// [Service.VerifyDomain]. Public mail domains (see [IsPublicDomain]) and
// domains another organization verified are refused. It needs
// [PermDomainsManage].
func (s *Service[M]) AddDomain(ctx context.Context, userID, orgID, name, mode string) (core.Domain, error) {
	if _, err := s.Require(ctx, userID, orgID, PermDomainsManage); err != nil {
		return core.Domain{}, err
	}
	name, err := CleanDomain(name)
	if err != nil {
		return core.Domain{}, err
	}
	if mode, err = checkMode(mode); err != nil {
		return core.Domain{}, err
	}
	d, err := s.domainStore.CreateDomain(ctx, core.Domain{OrgID: orgID, Name: name, EnrollmentMode: mode})
	if errors.Is(err, core.ErrConflict) {
		return d, errDomainTaken
	}
	return d, err
}

// domain returns one of the organization's domains for an actor holding
// [PermDomainsManage].
func (s *Service[M]) domain(ctx context.Context, userID, orgID, domainID string) (Access, core.Domain, error) {
	acc, err := s.Require(ctx, userID, orgID, PermDomainsManage)
	if err != nil {
		return acc, core.Domain{}, err
	}
	d, err := s.domainStore.Domain(ctx, orgID, domainID)
	if errors.Is(err, core.ErrNotFound) {
		return acc, d, errDomainNotFound
	}
	return acc, d, err
}

// SetDomainMode changes how users of a domain join. It needs
// [PermDomainsManage].
func (s *Service[M]) SetDomainMode(ctx context.Context, userID, orgID, domainID, mode string) (core.Domain, error) {
	if _, _, err := s.domain(ctx, userID, orgID, domainID); err != nil {
		return core.Domain{}, err
	}
	if mode == "" {
		return core.Domain{}, invalid("enrollment_mode", "invalid_enrollment_mode", "Choose an enrollment mode.")
	}
	mode, err := checkMode(mode)
	if err != nil {
		return core.Domain{}, err
	}
	d, err := s.domainStore.SetDomainMode(ctx, orgID, domainID, mode)
	if errors.Is(err, core.ErrNotFound) {
		return d, errDomainNotFound
	}
	return d, err
}

// RemoveDomain removes a domain from an organization. It needs
// [PermDomainsManage].
func (s *Service[M]) RemoveDomain(ctx context.Context, userID, orgID, domainID string) error {
	if _, _, err := s.domain(ctx, userID, orgID, domainID); err != nil {
		return err
	}
	err := s.domainStore.DeleteDomain(ctx, orgID, domainID)
	if errors.Is(err, core.ErrNotFound) {
		return errDomainNotFound
	}
	return err
}

// domainCodes is the rule of domain verification codes: 6 digits valid
// for Config.CodeTTL; MaxCodeAttempts wrong codes, across resends, lock the
// claim until the domain is removed and added again; MaxCodeSends codes
// per claim.
func (s *Service[M]) domainCodes() (onetime.Policy, error) {
	if len(s.cfg.CodeKey) < 32 {
		return onetime.Policy{}, errors.New("orgs: domain codes need Config.CodeKey, at least 32 bytes")
	}
	return onetime.Policy{Key: s.cfg.CodeKey, Digits: 6, TTL: s.cfg.CodeTTL, MaxFailures: MaxCodeAttempts, MaxSends: MaxCodeSends,
		LockedMessage: "Too many wrong codes. Remove the domain and add it again.", Now: s.cfg.Now}, nil
}

// SendDomainCode starts proving control of a domain: compose renders a
// mail with a 6-digit code to email, an address in the domain (given to
// compose, checked and trimmed, as d.AffiliationEmail), and it is queued
// with the code's hash in one transaction. A new code voids the
// previous one but not the count of wrong attempts. It needs
// [PermDomainsManage].
func (s *Service[M]) SendDomainCode(ctx context.Context, userID, orgID, domainID, email string,
	compose func(d core.Domain, org core.Org, code string) (M, error)) (core.Domain, error) {
	acc, d, err := s.domain(ctx, userID, orgID, domainID)
	if err != nil {
		return d, err
	}
	if d.Verified {
		return d, errDomainVerified
	}
	if email, err = CleanEmail(email); err != nil {
		return d, err
	}
	if EmailDomain(email) != d.Name {
		return d, invalid("email", "email_not_in_domain", "Enter an address at "+d.Name+": the code proves you receive its mail.")
	}
	codes, err := s.domainCodes()
	if err != nil {
		return d, err
	}
	code, reissue := codes.Reissue(domainID)
	to := d
	to.AffiliationEmail = email
	mail, err := compose(to, acc.Org, code)
	if err != nil {
		return d, err
	}
	err = s.domainStore.SetDomainCode(ctx, orgID, domainID, email, reissue, mail)
	switch {
	case errors.Is(err, core.ErrRateLimited):
		return d, errTooManyCodes
	case errors.Is(err, core.ErrUsed):
		return d, errDomainVerified
	case errors.Is(err, core.ErrNotFound):
		return d, errDomainNotFound
	case err != nil:
		return d, err
	}
	d.AffiliationEmail = email
	return d, nil
}

// VerifyDomain checks a code sent by [Service.SendDomainCode] (spaces
// around it are ignored) and, when it matches, marks the domain verified. Wrong codes are counted in the same
// transaction; after MaxCodeAttempts the domain must be added again. It
// needs [PermDomainsManage].
func (s *Service[M]) VerifyDomain(ctx context.Context, userID, orgID, domainID, code string) (core.Domain, error) {
	_, d, err := s.domain(ctx, userID, orgID, domainID)
	if err != nil {
		return d, err
	}
	if d.Verified {
		return d, errDomainVerified
	}
	if d.CodeHash == "" {
		return d, errNoCode
	}
	if code, err = onetime.CleanCode(code, 6); err != nil {
		return d, err
	}
	codes, err := s.domainCodes()
	if err != nil {
		return d, err
	}
	v, err := s.domainStore.VerifyDomain(ctx, orgID, domainID, codes.Check(domainID, code))
	var refusal *core.Error
	switch {
	case errors.As(err, &refusal):
		return d, err // a refusal of the one-time-code rules
	case errors.Is(err, core.ErrConflict):
		return d, errDomainTaken
	case errors.Is(err, core.ErrUsed):
		return d, errDomainVerified
	case errors.Is(err, core.ErrNotFound):
		return d, errDomainNotFound
	}
	return v, err
}

// Suggestion is an organization a user may join through the verified
// domain of their email: at once (automatic invitation) or by asking
// (automatic suggestion).
type Suggestion struct {
	Org            core.Org `json:"organization"`
	Domain         string   `json:"domain"`
	EnrollmentMode string   `json:"enrollment_mode"`
	// Requested reports a pending request to join (automatic suggestion).
	Requested bool `json:"requested"`
}

// Suggestions returns the organizations the user may join by the domain
// of their verified email and does not belong to.
func (s *Service[M]) Suggestions(ctx context.Context, user core.User) ([]Suggestion, error) {
	out := []Suggestion{}
	if !user.EmailVerified {
		return out, nil
	}
	domain := EmailDomain(user.Email)
	if domain == "" || IsPublicDomain(domain) {
		return out, nil
	}
	domains, err := s.domainStore.VerifiedDomains(ctx, domain)
	if err != nil {
		return nil, err
	}
	var requests []core.MembershipRequest
	for _, d := range domains {
		if d.EnrollmentMode != core.EnrollmentAutoInvite && d.EnrollmentMode != core.EnrollmentAutoSuggest {
			continue
		}
		if _, err := s.orgStore.Membership(ctx, d.OrgID, user.ID); err == nil {
			continue
		} else if !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		org, err := s.orgStore.Org(ctx, d.OrgID)
		if err != nil {
			return nil, err
		}
		sg := Suggestion{Org: org, Domain: d.Name, EnrollmentMode: d.EnrollmentMode}
		if d.EnrollmentMode == core.EnrollmentAutoSuggest {
			if requests == nil {
				if requests, err = s.requestStore.UserMembershipRequests(ctx, user.ID); err != nil {
					return nil, err
				}
			}
			for _, r := range requests {
				sg.Requested = sg.Requested || r.OrgID == org.ID
			}
		}
		out = append(out, sg)
	}
	return out, nil
}

// Join lets a user into an organization by the verified domain of their
// email: with automatic invitation they become a member with the default
// role (the membership is returned); with automatic suggestion a request
// to join is recorded for an admin to answer (the request is returned).
func (s *Service[M]) Join(ctx context.Context, user core.User, orgID string) (*core.Membership, *core.MembershipRequest, error) {
	list, err := s.Suggestions(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	for _, sg := range list {
		if sg.Org.ID != orgID {
			continue
		}
		if sg.EnrollmentMode == core.EnrollmentAutoInvite {
			m, err := s.orgStore.AddMember(ctx, core.Membership{OrgID: orgID, UserID: user.ID, Role: s.cfg.DefaultRole}, s.cfg.MaxMembers)
			if err != nil {
				return nil, nil, s.storeError(err, errOrgNotFound)
			}
			return &m, nil, nil
		}
		if sg.Requested {
			return nil, nil, errRequestPending
		}
		r, err := s.requestStore.CreateMembershipRequest(ctx, orgID, user.ID)
		if errors.Is(err, core.ErrConflict) {
			return nil, nil, errRequestPending
		}
		if err != nil {
			return nil, nil, s.storeError(err, errOrgNotFound)
		}
		return nil, &r, nil
	}
	if _, err := s.orgStore.Membership(ctx, orgID, user.ID); err == nil {
		return nil, nil, errAlreadyMember
	}
	return nil, nil, errNotEligible
}

// Requests lists an organization's pending requests to join. It needs
// [PermMembersManage].
func (s *Service[M]) Requests(ctx context.Context, userID, orgID string) ([]core.MembershipRequest, error) {
	if _, err := s.Require(ctx, userID, orgID, PermMembersManage); err != nil {
		return nil, err
	}
	return s.requestStore.MembershipRequests(ctx, orgID)
}

// DecideRequest accepts (the user joins with the default role) or rejects
// a pending request to join. It needs [PermMembersManage].
func (s *Service[M]) DecideRequest(ctx context.Context, userID, orgID, requestID string, accept bool) (core.MembershipRequest, *core.Membership, error) {
	if _, err := s.Require(ctx, userID, orgID, PermMembersManage); err != nil {
		return core.MembershipRequest{}, nil, err
	}
	r, m, err := s.requestStore.DecideMembershipRequest(ctx, orgID, requestID, accept, s.cfg.DefaultRole, s.cfg.MaxMembers)
	return r, m, s.storeError(err, errRequestNotFound)
}
