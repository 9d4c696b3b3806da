package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// refuseEmptyFlags makes an explicitly empty value a usage error: for
// every flag, an empty value would otherwise read as "not given" and
// silently become the default (the VM's subscription, the ARM endpoint of
// the public cloud, the system-assigned identity), acting somewhere the
// user did not choose.
func refuseEmptyFlags(cmd *cobra.Command) error {
	var bad *pflag.Flag
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if bad == nil && emptyValue(fl) {
			bad = fl
		}
	})
	if bad == nil {
		return nil
	}
	return withHint(flagErrorf("--%s was given an empty value", bad.Name),
		"pass a value, or leave out --%s for its default", bad.Name)
}

// emptyValue reports whether a flag that was set holds an empty (or blank)
// value; for repeatable flags, whether any element is empty.
func emptyValue(fl *pflag.Flag) bool {
	if _, ok := fl.Value.(*optString); ok {
		return false // the identity flags say why themselves (resolveIdentity)
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		vs := sv.GetSlice()
		if len(vs) == 0 {
			return true // --host '' parses to no element at all
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				return true
			}
		}
		return false
	}
	if fl.Value.Type() != "string" {
		return false
	}
	return strings.TrimSpace(fl.Value.String()) == ""
}
