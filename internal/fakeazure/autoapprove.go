package fakeazure

// autoApproveLocked approves every request that has waited Options.AutoApproveAfter, as the
// demo tenant's approver does: the activation starts when it was approved (or at the asked
// start, if later). It reports whether anything changed. s.mu must be held.
func (s *Server) autoApproveLocked() bool {
	d := s.opts.AutoApproveAfter
	if d <= 0 {
		return false
	}
	now := s.now()
	changed := false
	for _, t := range s.tenantList {
		for _, req := range s.st.tenant(t.ID).Requests {
			if req.statusAt(now) != "PendingApproval" {
				continue
			}
			at := req.Created.Add(d)
			if now.Before(at) {
				continue
			}
			s.approveLocked(t, req, at, now)
			changed = true
		}
	}
	return changed
}
