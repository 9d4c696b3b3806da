package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/identity"
)

// WhoamiOptions are the parsed flags of `azmsi whoami`.
type WhoamiOptions struct {
	Resource string
	Roles    bool // --roles: the role assignments instead (roles list)
	Output   OutputOptions
}

// NewCmdWhoami builds `azmsi whoami`.
func NewCmdWhoami(f *Factory, runF func(*WhoamiOptions) error) *cobra.Command {
	opts := &WhoamiOptions{}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show which identity answers here: its source, claims and host",
		Long: `Get a token and show who it is for: the endpoint that answered, the identity's
claims (oid, appid, tid, xms_mirid, iat, exp) and, on a VM, the instance
metadata. The token itself is never printed.`,
		Example: `  azmsi whoami
  azmsi whoami --client-id 22222222-2222-2222-2222-222222222222 -o json
  azmsi whoami --roles                      # same as 'azmsi roles list'`,
		Args: noArgs,
		RunE: identityRunE(f, opts, runF, &opts.Output, func(cmd *cobra.Command, _ []string) error {
			if opts.Roles && cmd.Flags().Changed("resource") {
				return flagErrorf("--roles lists ARM role assignments; it does not take --resource")
			}
			return checkResource(opts.Resource)
		}, whoamiRun),
	}
	cmd.Flags().StringVar(&opts.Resource, "resource", ARMResource, "resource to get the token for")
	cmd.Flags().BoolVar(&opts.Roles, "roles", false, "show the identity's role assignments instead (as 'azmsi roles list')")
	addOutputFlags(cmd.Flags(), &opts.Output, "table", "table", "json", "tsv")
	f.addIdentityFlags(cmd.Flags())
	return cmd
}

type whoamiSource struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

type whoamiClaims struct {
	ObjectID     string `json:"oid"`
	AppID        string `json:"appid"`
	TenantID     string `json:"tid"`
	MIResourceID string `json:"xms_mirid,omitempty"`
	Audience     string `json:"aud"`
	IssuedAt     string `json:"iat"`
	ExpiresAt    string `json:"exp"`
}

type whoamiInstance struct {
	SubscriptionID    string            `json:"subscriptionId"`
	ResourceGroupName string            `json:"resourceGroupName"`
	Name              string            `json:"name"`
	Location          string            `json:"location"`
	VMID              string            `json:"vmId"`
	ResourceID        string            `json:"resourceId,omitempty"`
	AzEnvironment     string            `json:"azEnvironment,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

type whoamiJSON struct {
	Identity     string          `json:"identity"`
	Source       whoamiSource    `json:"source"`
	Claims       whoamiClaims    `json:"claims"`
	Instance     *whoamiInstance `json:"instance"`
	InstanceNote string          `json:"instanceNote,omitempty"`
}

func whoamiRun(ctx context.Context, f *Factory, opts *WhoamiOptions) error {
	if opts.Roles {
		return rolesListRun(ctx, f, &RolesListOptions{Output: opts.Output})
	}
	tok, cred, err := f.token(ctx, opts.Resource)
	if err != nil {
		return err
	}
	c, err := identity.ParseClaims(tok.AccessToken)
	if err != nil {
		return fmt.Errorf("the token from %s is not a JWT, cannot show its claims: %w", cred.Source().Name, err)
	}
	src := cred.Source()
	out := whoamiJSON{
		Identity: cred.ID().String(),
		Source:   whoamiSource{Name: src.Name, Endpoint: src.Endpoint, Reason: src.Reason},
		Claims: whoamiClaims{
			ObjectID: c.ObjectID, AppID: c.AppID, TenantID: c.TenantID, MIResourceID: c.MIResourceID,
			Audience: c.Audience, IssuedAt: rfc3339(c.IssuedAt), ExpiresAt: rfc3339(c.ExpiresAt),
		},
	}
	in, ok, err := f.instance(ctx)
	switch {
	case err != nil:
		out.InstanceNote = "instance metadata not available: " + firstLine(err.Error())
	case !ok:
		out.InstanceNote = "instance metadata not available: " + src.Name + " is not a VM's IMDS"
	default:
		out.Instance = &whoamiInstance{
			SubscriptionID: in.SubscriptionID, ResourceGroupName: in.ResourceGroupName, Name: in.Name,
			Location: in.Location, VMID: in.VMID, ResourceID: in.ResourceID, AzEnvironment: in.AzEnvironment, Tags: in.Tags,
		}
	}
	if opts.Output.Format == "table" && opts.Output.Query == "" {
		return printWhoamiTable(f, out)
	}
	return opts.Output.print(f.IO.Out, out, whoamiColumns)
}

var whoamiColumns = []column{
	field("Identity", "identity"), field("Source", "source.name"), field("ObjectId", "claims.oid"),
	field("AppId", "claims.appid"), field("TenantId", "claims.tid"), field("Expires", "claims.exp"),
}

// printWhoamiTable prints one "key  value" line per fact: an identity is
// one record, and a one-row table of ten columns would not fit a terminal.
func printWhoamiTable(f *Factory, w whoamiJSON) error {
	src := w.Source.Name
	if w.Source.Endpoint != "" {
		src += " (" + w.Source.Endpoint + ")"
	}
	rows := [][2]string{
		{"Identity", w.Identity},
		{"Source", src},
		{"Object ID (oid)", w.Claims.ObjectID},
		{"Client ID (appid)", w.Claims.AppID},
		{"Tenant (tid)", w.Claims.TenantID},
		{"Resource ID (xms_mirid)", w.Claims.MIResourceID},
		{"Audience (aud)", w.Claims.Audience},
		{"Issued (iat)", w.Claims.IssuedAt},
		{"Expires (exp)", w.Claims.ExpiresAt},
	}
	if in := w.Instance; in != nil {
		rows = append(rows,
			[2]string{"VM", in.Name},
			[2]string{"VM ID", in.VMID},
			[2]string{"Subscription", in.SubscriptionID},
			[2]string{"Resource group", in.ResourceGroupName},
			[2]string{"Location", in.Location},
		)
	} else {
		rows = append(rows, [2]string{"Instance", "(" + w.InstanceNote + ")"})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		fmt.Fprintf(&b, "%-*s  %s\n", width, r[0], sanitizeCell(r[1]))
	}
	_, err := f.IO.Out.Write([]byte(b.String()))
	return err
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// isIMDSLike reports whether the credential talks to a VM-style IMDS
// (the real one or an emulator standing in for it), the only kind of
// endpoint that serves instance metadata.
func isIMDSLike(s identity.SourceInfo) bool {
	return strings.Contains(strings.ToUpper(s.Name), "IMDS")
}
