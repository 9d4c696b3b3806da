package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/identity"
)

// authorizationAPIVersion is the Microsoft.Authorization api-version the
// newest GA clients use for role assignments and role definitions.
const authorizationAPIVersion = "2022-04-01"

// NewCmdRoles builds `azmsi roles`.
func NewCmdRoles(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "Show the role assignments that apply to the identity",
		Long: `Show what the managed identity may do: its role assignments at a scope, at
the scopes above it (inherited) and below it, read through ARM's own API
(Microsoft.Authorization roleAssignments with $filter=assignedTo('{oid}')),
so it works on Azure too when the identity may read role assignments there.`,
		Args: noArgs,
		RunE: helpRunE,
	}
	f.addIdentityFlags(cmd.PersistentFlags())
	f.addARMFlags(cmd.PersistentFlags())
	cmd.AddCommand(NewCmdRolesList(f, nil))
	return cmd
}

// RolesListOptions are the parsed flags of `azmsi roles list`.
type RolesListOptions struct {
	Scope  string
	Output OutputOptions
}

// NewCmdRolesList builds `azmsi roles list`.
func NewCmdRolesList(f *Factory, runF func(*RolesListOptions) error) *cobra.Command {
	opts := &RolesListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the identity's role assignments at a scope, above it and below it",
		Example: `  azmsi roles list
  azmsi roles list --scope /subscriptions/{id}/resourceGroups/web -o json
  azmsi whoami --roles`,
		Args: noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(*cobra.Command, []string) error {
			return checkRoleScope(opts.Scope)
		}, rolesListRun),
	}
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "scope to look from (default: the subscription, chosen as for 'groups')")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	return cmd
}

// checkRoleScope refuses scopes that would not stay an ARM path: the
// scope becomes the start of the request path.
func checkRoleScope(s string) error {
	if s == "" {
		return nil
	}
	if why := placeholderReason(s); why != "" {
		return flagErrorf("--scope %q is not usable: %s", clip(s), why)
	}
	low := strings.ToLower(s)
	if !strings.HasPrefix(low, "/subscriptions/") && !strings.HasPrefix(low, "/providers/microsoft.management/managementgroups/") {
		return flagErrorf("--scope %q must be an ARM id starting with /subscriptions/{id} (or a management group)", clip(s))
	}
	if strings.ContainsAny(s, "?#\\ \t") || strings.Contains(strings.TrimRight(s, "/"), "//") {
		return flagErrorf("--scope %q must not contain '?', '#', '\\', spaces or empty segments", clip(s))
	}
	for _, seg := range strings.Split(strings.Trim(s, "/"), "/") {
		if seg == "." || seg == ".." {
			return flagErrorf("--scope %q must not contain '.' or '..' segments", clip(s))
		}
	}
	return nil
}

// roleRow is one assignment as printed.
type roleRow struct {
	Role             string `json:"role"`
	Scope            string `json:"scope"`
	Inherited        bool   `json:"inherited"`
	Relation         string `json:"relation"` // "at scope", "inherited", "below"
	RoleDefinitionID string `json:"roleDefinitionId"`
	PrincipalID      string `json:"principalId"`
	PrincipalType    string `json:"principalType"`
	ID               string `json:"id"`
}

var roleColumns = []column{field("Role", "role"), field("Scope", "scope"), field("Relation", "relation")}

type wireAssignment struct {
	ID         string `json:"id"`
	Properties struct {
		RoleDefinitionID string `json:"roleDefinitionId"`
		PrincipalID      string `json:"principalId"`
		PrincipalType    string `json:"principalType"`
		Scope            string `json:"scope"`
	} `json:"properties"`
}

func rolesListRun(ctx context.Context, f *Factory, opts *RolesListOptions) error {
	c, err := f.ARM()
	if err != nil {
		return err
	}
	scope := strings.TrimRight(opts.Scope, "/")
	if scope == "" {
		sc, err := f.resolveSubscription(ctx)
		if err != nil {
			return err
		}
		scope = "/subscriptions/" + sc.ID
	}
	oid, err := f.objectID(ctx, c.Cloud().Audience)
	if err != nil {
		return err
	}
	rows, err := roleRows(ctx, c, scope, oid)
	if err != nil {
		return rolesHint(err, oid, scope)
	}
	return opts.Output.print(f.IO.Out, nonNil(rows), roleColumns)
}

// roleRows lists the role assignments of oid at, above and below scope,
// with their role names.
func roleRows(ctx context.Context, c *arm.Client, scope, oid string) ([]roleRow, error) {
	path := scope + "/providers/Microsoft.Authorization/roleAssignments?$filter=" + url.QueryEscape("assignedTo('"+oid+"')")
	var rows []roleRow
	for raw, err := range c.DoPages(ctx, path, authorizationAPIVersion) {
		if err != nil {
			return nil, err
		}
		var a wireAssignment
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("ARM answered a role assignment azmsi cannot read: %v", err)
		}
		p := a.Properties
		rows = append(rows, roleRow{
			Scope: p.Scope, RoleDefinitionID: p.RoleDefinitionID, PrincipalID: p.PrincipalID,
			PrincipalType: p.PrincipalType, ID: a.ID, Relation: scopeRelation(p.Scope, scope),
		})
	}
	names := roleNames(ctx, c, subscriptionScope(scope))
	for i := range rows {
		rows[i].Inherited = rows[i].Relation == "inherited"
		rows[i].Role = names[strings.ToLower(lastSegment(rows[i].RoleDefinitionID))]
		if rows[i].Role == "" {
			rows[i].Role = lastSegment(rows[i].RoleDefinitionID)
		}
	}
	return rows, nil
}

// objectID is the oid of the identity's token for audience.
func (f *Factory) objectID(ctx context.Context, audience string) (string, error) {
	tok, cred, err := f.token(ctx, audience)
	if err != nil {
		return "", err
	}
	c, err := identity.ParseClaims(tok.AccessToken)
	if err != nil {
		return "", fmt.Errorf("the token from %s is not a JWT, so its object id (oid) is unknown: %w", cred.Source().Name, err)
	}
	if c.ObjectID == "" {
		return "", fmt.Errorf("the token from %s carries no object id (oid) claim; role assignments are listed by it", cred.Source().Name)
	}
	return c.ObjectID, nil
}

// rolesHint adds what to do when the identity may not read assignments.
func rolesHint(err error, oid, scope string) error {
	var re *arm.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		const action = "Microsoft.Authorization/roleAssignments/read"
		return withHint(err, "listing role assignments needs %s at %s or above; built-in roles that grant it: %s (object id %s)",
			action, scope, strings.Join(arm.BuiltinRolesGranting(action), ", "), oid)
	}
	return err
}

// roleNames maps role GUIDs to names from the role definitions visible at
// scope; on any failure it is empty and GUIDs are shown instead.
func roleNames(ctx context.Context, c *arm.Client, scope string) map[string]string {
	names := map[string]string{}
	for raw, err := range c.DoPages(ctx, scope+"/providers/Microsoft.Authorization/roleDefinitions", authorizationAPIVersion) {
		if err != nil {
			return names
		}
		var d struct {
			Name       string `json:"name"`
			Properties struct {
				RoleName string `json:"roleName"`
			} `json:"properties"`
		}
		if json.Unmarshal(raw, &d) == nil && d.Name != "" {
			names[strings.ToLower(d.Name)] = d.Properties.RoleName
		}
	}
	return names
}

// scopeRelation says where assignment scope a sits relative to the
// queried scope q: the same, above (inherited) or below.
func scopeRelation(a, q string) string {
	al, ql := strings.ToLower(strings.TrimRight(a, "/")), strings.ToLower(strings.TrimRight(q, "/"))
	switch {
	case al == ql:
		return "at scope"
	case al == "" || strings.HasPrefix(ql, al+"/"):
		return "inherited"
	}
	return "below"
}

// subscriptionScope is /subscriptions/{id} of scope, or scope itself.
func subscriptionScope(scope string) string {
	seg := strings.Split(strings.Trim(scope, "/"), "/")
	if len(seg) >= 2 && strings.EqualFold(seg[0], "subscriptions") {
		return "/subscriptions/" + seg[1]
	}
	return scope
}

func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}
