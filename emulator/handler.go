package emulator

import "net/http"

// Handler serves the IMDS, ARM and control routes of s without a socket,
// for Go tests that call it directly (httptest.NewRecorder or an
// httptest.Server): IMDS paths (/metadata/…, /discovery/keys, OpenID
// configuration) go to IMDS, /_emulator/… to the control routes, anything
// else to ARM. It works whatever IMDSAddr and ARMAddr are. The faults of
// the imds and arm families apply as on the listeners, except the down
// window (there is no listener to take down). Requests arrive without TLS,
// so ARM's nextLink and Location URLs use http://; the other hosts are
// served only on their listeners, where their paths do not collide with
// IMDS's. The listeners' refusal of browsers (Host and Origin checks) is
// not applied: without a socket no page can reach the handler.
func (s *Server) Handler() http.Handler {
	imdsH := s.faults.Wrap("imds", s.imdsHandler())
	armH := s.faults.Wrap("arm", s.armHandler())
	return handlerFor([]route{
		{under("/_emulator"), s.serveControl},
		{s.isIMDSPath, imdsH.ServeHTTP},
		{anyPath, armH.ServeHTTP},
	})
}

// isIMDSPath reports whether the IMDS listener has a route for p other
// than its not-found answer.
func (s *Server) isIMDSPath(p string) bool {
	rs := s.imdsRoutes()
	for _, rt := range rs[:len(rs)-1] {
		if rt.match(p) {
			return true
		}
	}
	return false
}
