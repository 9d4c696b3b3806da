package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/azmsi/azmsi/arm"
)

// doctorRoles is doctor's role check at --scope: the identity's role
// assignments there, or why they could not be read.
type doctorRoles struct {
	Scope string   `json:"scope"`
	Roles []string `json:"roles"` // "Reader (inherited from /subscriptions/…)"
	Error string   `json:"error,omitempty"`
	// Missing is the refused action, the scope ARM named and the built-in
	// roles that grant it, when ARM answered 403 AuthorizationFailed.
	Missing *doctorMissing `json:"missing,omitempty"`
}

type doctorMissing struct {
	Action       string   `json:"action"`
	Scope        string   `json:"scope"`
	GrantedBy    []string `json:"grantedBy"`
	ARMErrorCode string   `json:"armErrorCode"`
}

// checkRoles lists the identity's assignments at scope through ARM and
// returns the report and, on failure, the next step.
func checkRoles(ctx context.Context, f *Factory, scope string) (*doctorRoles, string) {
	out := &doctorRoles{Scope: scope, Roles: []string{}}
	fail := func(err error) (*doctorRoles, string) {
		out.Error = err.Error()
		var re *arm.ResponseError
		if errors.As(err, &re) && re.Code == "AuthorizationFailed" {
			if af, ok := arm.ParseAuthorizationFailed(re.Message); ok {
				where := af.Scope
				if where == "" {
					where = scope
				}
				out.Missing = &doctorMissing{Action: af.Action, Scope: where, GrantedBy: nonNil(arm.BuiltinRolesGranting(af.Action)), ARMErrorCode: re.Code}
				return out, fmt.Sprintf("the identity may not perform %s at %s (ARM 403 AuthorizationFailed): assign it, at that scope or above, one of the built-in roles that grant it: %s",
					af.Action, where, strings.Join(out.Missing.GrantedBy, ", "))
			}
		}
		if errors.As(err, &re) && re.Hint != "" {
			return out, "the role check at " + scope + " failed: " + re.Hint
		}
		return out, "the role check at " + scope + " failed (see the error above); run 'azmsi roles list --scope " + scope + " --debug' to see the requests"
	}
	c, err := f.ARM()
	if err != nil {
		return fail(err)
	}
	oid, err := f.objectID(ctx, c.Cloud().Audience)
	if err != nil {
		return fail(err)
	}
	rows, err := roleRows(ctx, c, scope, oid)
	if err != nil {
		return fail(err)
	}
	for _, r := range rows {
		s := r.Role + " (" + r.Relation
		if r.Relation != "at scope" {
			s += ", " + r.Scope
		}
		out.Roles = append(out.Roles, s+")")
	}
	if len(rows) == 0 {
		return out, "the identity holds no role at " + scope + ", above or below it: assign it one (for example Reader to read, Contributor to change)"
	}
	return out, ""
}

func writeDoctorRoles(w io.Writer, r *doctorRoles) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "\nRoles at %s:\n", r.Scope)
	switch {
	case r.Missing != nil:
		fmt.Fprintf(w, "  MISSING %s at %s; granted by the built-in roles %s\n", r.Missing.Action, r.Missing.Scope, strings.Join(r.Missing.GrantedBy, ", "))
	case r.Error != "":
		fmt.Fprintf(w, "  FAILED: %s\n", r.Error)
	case len(r.Roles) == 0:
		fmt.Fprintf(w, "  none\n")
	}
	for _, s := range r.Roles {
		fmt.Fprintf(w, "  %s\n", s)
	}
}
