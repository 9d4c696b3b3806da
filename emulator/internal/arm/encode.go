package arm

import "github.com/azmsi/azmsi/emulator/internal/armwire"

// jsonAppender is a response body that encodes itself without reflection.
// A list page of resource groups is the emulator's hottest answer, and
// encoding/json's reflection over 100 groups was a third of its CPU
// (bench: BenchmarkEmulator/list-pages). The output is byte for byte what
// json.Marshal writes for the same value (encode_test.go checks).
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// groupPage is a list page of resource groups; the fields and tags are
// those of armList[armGroup], so json.Marshal gives the same bytes.
type groupPage struct {
	Value    []armGroup `json:"value"`
	NextLink string     `json:"nextLink,omitempty"`
}

func (p *groupPage) appendJSON(b []byte) []byte {
	b = append(b, `{"value":[`...)
	for i := range p.Value {
		if i > 0 {
			b = append(b, ',')
		}
		b = p.Value[i].appendJSON(b)
	}
	b = append(b, ']')
	if p.NextLink != "" {
		b = append(b, `,"nextLink":`...)
		b = armwire.AppendString(b, p.NextLink)
	}
	return append(b, '}')
}

func (g *armGroup) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = armwire.AppendString(b, g.ID)
	b = append(b, `,"name":`...)
	b = armwire.AppendString(b, g.Name)
	b = append(b, `,"type":`...)
	b = armwire.AppendString(b, g.Type)
	b = append(b, `,"location":`...)
	b = armwire.AppendString(b, g.Location)
	if len(g.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = armwire.AppendStringMap(b, g.Tags)
	}
	if g.ManagedBy != "" {
		b = append(b, `,"managedBy":`...)
		b = armwire.AppendString(b, g.ManagedBy)
	}
	b = append(b, `,"properties":{"provisioningState":`...)
	b = armwire.AppendString(b, g.Properties.ProvisioningState)
	return append(b, "}}"...)
}
