package cli

import (
	"errors"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/azmsi/azmsi/identity"
)

// optString is a string flag that remembers whether it was given at all,
// so `--client-id ""` is caught instead of read as "not given".
type optString struct {
	value string
	set   bool
}

func (o *optString) String() string { return o.value }
func (o *optString) Set(v string) error {
	if o.set {
		// Keeping the last of two identities would act as one silently.
		return errors.New("given more than once; pass it once")
	}
	o.value, o.set = v, true
	return nil
}
func (o *optString) Type() string { return "string" }

// clientFlags are the flags of every command that gets a token.
type clientFlags struct {
	clientID, objectID, resourceID optString
	endpoint, armEndpoint          string
	subscription                   string
}

// addIdentityFlags registers --client-id/--object-id/--resource-id and
// --endpoint on fs (a command's persistent flags, so subcommands inherit).
func (f *Factory) addIdentityFlags(fs *pflag.FlagSet) {
	fs.Var(&f.cf.clientID, "client-id", "user-assigned identity by client ID (default: $AZURE_CLIENT_ID, else system-assigned)")
	fs.Var(&f.cf.objectID, "object-id", "user-assigned identity by object (principal) ID")
	fs.Var(&f.cf.resourceID, "resource-id", "user-assigned identity by ARM resource ID")
	fs.StringVar(&f.cf.endpoint, "endpoint", "", "identity endpoint base URL (default: $AZURE_POD_IDENTITY_AUTHORITY_HOST, else the VM's IMDS)")
}

// addARMFlags registers --arm-endpoint and --subscription.
func (f *Factory) addARMFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.cf.armEndpoint, "arm-endpoint", "", "ARM base URL (default: $AZMSI_ARM_ENDPOINT, else https://management.azure.com)")
	fs.StringVarP(&f.cf.subscription, "subscription", "s", "", "subscription ID (default: $AZURE_SUBSCRIPTION_ID, else the VM's, else the only one visible)")
}

var (
	zeroGUID      = "00000000-0000-0000-0000-000000000000"
	xGUID         = regexp.MustCompile(`^[xX0-]{8,}$`)
	placeholderRe = regexp.MustCompile(`(?i)(<|>|\{|\}|\.\.\.|…|^\$|your[-_ ]|^(client|object|resource)[-_ ]?id$|changeme|placeholder)`)
)

// placeholderReason reports why v looks like a value copied from
// documentation rather than a real ID, or "" if it does not.
func placeholderReason(v string) string {
	t := strings.TrimSpace(v)
	switch {
	case t == "":
		return "it is empty"
	case strings.EqualFold(t, zeroGUID):
		return "it is the all-zero GUID from the documentation"
	case xGUID.MatchString(t):
		return "it is a placeholder GUID"
	case placeholderRe.MatchString(t):
		return "it looks like a placeholder"
	}
	return ""
}

// resolveIdentity turns the identity flags into an identity.ID. Several
// flags, an empty or placeholder value, or a malformed ID is a usage error:
// falling back to the system-assigned identity would act as someone else.
func resolveIdentity(cf clientFlags, lookupEnv func(string) (string, bool)) (identity.ID, error) {
	type given struct {
		flag  string
		value string
		mk    func(string) identity.ID
	}
	var gs []given
	if cf.clientID.set {
		gs = append(gs, given{"--client-id", cf.clientID.value, identity.ClientID})
	}
	if cf.objectID.set {
		gs = append(gs, given{"--object-id", cf.objectID.value, identity.ObjectID})
	}
	if cf.resourceID.set {
		gs = append(gs, given{"--resource-id", cf.resourceID.value, identity.ResourceID})
	}
	if len(gs) > 1 {
		names := make([]string, len(gs))
		for i, g := range gs {
			names[i] = g.flag
		}
		return identity.ID{}, withHint(flagErrorf("%s are mutually exclusive", strings.Join(names, " and ")),
			"pass exactly one of --client-id, --object-id or --resource-id (none for the system-assigned identity)")
	}
	if len(gs) == 0 {
		v, ok := lookupEnv("AZURE_CLIENT_ID")
		if !ok {
			return identity.ID{}, nil // system-assigned
		}
		gs = append(gs, given{"AZURE_CLIENT_ID", v, identity.ClientID})
	}
	g := gs[0]
	if why := placeholderReason(g.value); why != "" {
		hint := "pass the identity's real ID, or omit the flag for the system-assigned identity"
		if g.flag == "AZURE_CLIENT_ID" {
			hint = "set AZURE_CLIENT_ID to the identity's real client ID, or unset it for the system-assigned identity"
		}
		return identity.ID{}, withHint(flagErrorf("%s %q is not a usable identity: %s", g.flag, g.value, why), "%s", hint)
	}
	id := g.mk(strings.TrimSpace(g.value))
	if err := id.Validate(); err != nil {
		return identity.ID{}, withHint(flagErrorf("%s: %v", g.flag, err), "check the value of %s", g.flag)
	}
	return id, nil
}
