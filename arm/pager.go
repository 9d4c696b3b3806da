package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// Pager walks an ARM list across nextLink pages.
//
// A failed NextPage leaves the position unchanged, so calling it again
// re-fetches the same page: no page is lost or repeated. Paging stops at an
// absent or empty nextLink; a nextLink seen before is an error (a server bug
// that would otherwise loop forever).
type Pager[T any] struct {
	c       *Client
	next    *url.URL
	visited map[string]bool
	done    bool
	err     error // sticky: loop or off-host link
	// decode, when set, is a faster decoder of a page; ok=false hands the
	// page to encoding/json.
	decode func(body []byte) (items []T, next *string, ok bool)
}

type page[T any] struct {
	Value    []T     `json:"value"`
	NextLink *string `json:"nextLink"`
}

func newPager[T any](c *Client, first *url.URL, err error) *Pager[T] {
	p := &Pager[T]{c: c, next: first, visited: map[string]bool{}}
	if err != nil {
		p.err = err
	}
	return p
}

// More reports whether NextPage has anything left to return (including an
// error).
func (p *Pager[T]) More() bool { return !p.done || p.err != nil }

// NextPage fetches the next page.
func (p *Pager[T]) NextPage(ctx context.Context) ([]T, error) {
	if p.err != nil {
		err := p.err
		p.err, p.done = nil, true
		return nil, err
	}
	if p.done {
		return nil, errors.New("arm: NextPage called after the last page")
	}
	link := p.next.String()
	key := linkKey(p.next)
	resp, err := p.c.send(ctx, http.MethodGet, p.next, nil)
	if err != nil {
		return nil, err
	}
	var pg page[T]
	fast := false
	if p.decode != nil {
		pg.Value, pg.NextLink, fast = p.decode(resp.Body)
	}
	if !fast {
		pg = page[T]{}
		if err := json.Unmarshal(resp.Body, &pg); err != nil {
			return nil, fmt.Errorf("arm: GET %s: list response is not {\"value\": [...], \"nextLink\": ...} JSON: %v", link, err)
		}
	}
	p.visited[key] = true
	if pg.NextLink == nil || *pg.NextLink == "" {
		p.done = true
		return pg.Value, nil
	}
	nu, err := p.c.sameOrigin(*pg.NextLink, "nextLink")
	if err != nil {
		p.err = err
		return pg.Value, nil
	}
	if p.visited[linkKey(nu)] {
		p.err = fmt.Errorf("arm: the server returned nextLink %s a second time; stopping instead of looping forever", azhttp.Clip(nu.String(), 300))
		return pg.Value, nil
	}
	p.next = nu
	return pg.Value, nil
}

// All yields every item of every remaining page. After an error it yields
// (zero, err) once and stops.
func (p *Pager[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p.More() {
			items, err := p.NextPage(ctx)
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
		}
	}
}

// Collect gathers every item of every remaining page.
func (p *Pager[T]) Collect(ctx context.Context) ([]T, error) {
	var out []T
	for it, err := range p.All(ctx) {
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// listURL resolves path and sets apiVersion for the first page of a list.
func (c *Client) listURL(path, apiVersion string) (*url.URL, error) {
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	if err := setAPIVersion(u, apiVersion); err != nil {
		return nil, err
	}
	return u, nil
}

// Pages returns a pager over the elements of "value" of a raw list call,
// following nextLink: any ARM list, such as a provider's resources.
func (c *Client) Pages(path, apiVersion string) *Pager[json.RawMessage] {
	u, err := c.listURL(path, apiVersion)
	return newPager[json.RawMessage](c, u, err)
}

// DoPages yields each element of "value" across all nextLink pages.
func (c *Client) DoPages(ctx context.Context, path, apiVersion string) iter.Seq2[json.RawMessage, error] {
	return c.Pages(path, apiVersion).All(ctx)
}

// linkKey normalizes a link for loop detection: query order and encoding
// do not matter.
func linkKey(u *url.URL) string {
	return strings.ToLower(u.Scheme+"://"+u.Host) + u.EscapedPath() + "?" + u.Query().Encode()
}
