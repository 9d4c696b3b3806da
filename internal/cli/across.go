package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/azmsi/azmsi/arm"
)

// acrossColumns puts a Subscription column, read from each row's ARM ID,
// before cols: the table of a list that spans several subscriptions.
func acrossColumns(cols []column) []column {
	sub := column{Header: "Subscription", Get: func(m map[string]any) string {
		id, _ := m["id"].(string)
		if r, err := arm.ParseResourceID(id); err == nil {
			return r.SubscriptionID
		}
		return ""
	}}
	return append([]column{sub}, cols...)
}

// listScope resolves where a list command lists: one subscription (sub),
// or, when none was chosen and several are visible, all of them (several).
func (f *Factory) listScope(ctx context.Context) (c *arm.Client, sub string, several []string, err error) {
	if c, err = f.ARM(); err != nil {
		return nil, "", nil, err
	}
	sc, err := f.resolveSubscription(ctx)
	var e *errSeveralSubscriptions
	if errors.As(err, &e) {
		return c, "", e.ids, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return c, sc.ID, nil, nil
}

// printAcross prints the rows of n subscriptions' lists in order, part(i)
// giving the i-th one's ID, rows and failure. A subscription that failed is
// reported after the others are printed, and the command exits 1.
func printAcross[T any](f *Factory, out *OutputOptions, cols []column, n int, part func(i int) (sub string, rows []T, err error)) error {
	all := []T{}
	var errs []error
	for i := range n {
		sub, rows, err := part(i)
		if err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", sub, err))
			continue
		}
		all = append(all, rows...)
	}
	if err := out.print(f.IO.Out, all, cols); err != nil {
		return err
	}
	return errors.Join(errs...)
}
