package resources

import (
	"net/http"
)

// reply is an answer built under the store's lock and written after it is
// released, so neither a slow client nor the network holds up other
// requests. Headers go straight into the response's header map (no I/O).
type reply struct {
	status int
	body   []byte // nil: no body
	err    *apiError
	pooled *[]byte // body's buffer, returned to bufPool once written
}

func jsonReply(status int, b []byte) reply { return reply{status: status, body: b} }
func emptyReply(status int) reply          { return reply{status: status} }
func errReply(e *apiError) reply           { return reply{err: e} }

func (rp reply) send(w http.ResponseWriter) {
	switch {
	case rp.err != nil:
		writeError(w, rp.err)
	case rp.body != nil:
		writeJSON(w, rp.status, rp.body)
	default:
		writeEmpty(w, rp.status)
	}
	if rp.pooled != nil {
		putBuf(rp.pooled, rp.body)
	}
}

// read runs fn under the store's read lock, after finishing any operation
// whose time has come (that needs the write lock), then sends its reply.
func (s *Service) read(w http.ResponseWriter, fn func() reply) {
	st := s.store
	st.mu.RLock()
	if !st.dueLocked(s.now()) {
		rp := fn()
		st.mu.RUnlock()
		rp.send(w)
		return
	}
	st.mu.RUnlock()
	s.write(w, fn)
}

// write runs fn under the store's write lock after the sweep, then sends
// its reply.
func (s *Service) write(w http.ResponseWriter, fn func() reply) {
	st := s.store
	st.mu.Lock()
	rp := reply{}
	if err := st.sweepLocked(s.now()); err != nil {
		rp = s.internal(err)
	} else {
		rp = fn()
	}
	st.mu.Unlock()
	rp.send(w)
}

// internal answers a persistence failure: the write was not acknowledged.
func (s *Service) internal(err error) reply {
	s.o.Logger.Error("resources: storing failed", "err", err)
	return errReply(&apiError{status: http.StatusInternalServerError, code: "InternalServerError",
		message: "The emulator could not store the change durably; it was not applied. Check the state directory."})
}
