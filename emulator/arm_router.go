package emulator

import "net/http"

func (a *armService) serve(w http.ResponseWriter, r *http.Request) {
	a.s.stats.armRequests.Add(1)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"error":{"code":"NotFound","message":"not yet"}}`))
}
