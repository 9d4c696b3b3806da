package resources

import "sync"

// bufPool recycles list-page buffers; buffers that grew past maxPooled are
// left to the GC so one huge page does not pin memory.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooled = 1 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte, b []byte) {
	if cap(b) <= maxPooled {
		*p = b[:0]
		bufPool.Put(p)
	}
}
