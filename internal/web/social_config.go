package web

import (
	"fmt"
)

var socialNames = map[SocialKind]string{
	SocialGoogle: "Google", SocialMicrosoft: "Microsoft", SocialApple: "Apple", SocialGitLab: "GitLab",
	SocialGitHub: "GitHub", SocialDiscord: "Discord",
}

// checkSocial fills the providers' defaults and reports what is wrong.
func (s *settings) checkSocial() []error {
	var errs []error
	s.Social = append([]SocialProvider(nil), s.Social...)
	seen := map[string]bool{}
	for i := range s.Social {
		p := &s.Social[i]
		p.Scopes = append([]string(nil), p.Scopes...)
		if p.ID == "" && p.Kind != SocialOIDC {
			p.ID = string(p.Kind)
		}
		if p.Name == "" {
			p.Name = socialNames[p.Kind]
		}
		if p.Name == "" {
			p.Name = p.ID
		}
		if seen[p.ID] {
			errs = append(errs, fmt.Errorf("the provider id %q is used twice in Social", p.ID))
		}
		seen[p.ID] = true
	}
	if s.SocialLinking != SocialLinkAfterSignIn && s.SocialLinking != SocialLinkVerifiedEmail {
		errs = append(errs, fmt.Errorf("SocialLinking %d is unknown", s.SocialLinking))
	}
	return errs
}
