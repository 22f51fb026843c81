package portal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// session is one signed-in browser. Sessions live in the serving process
// (a restart signs everyone out), keyed by a 256-bit random id.
type session struct {
	id       string
	account  string
	csrf     string // synchronizer token every form and XHR carries
	mfaDone  bool   // the password was checked and, if enrolled, the TOTP code
	created  time.Time
	lastSeen time.Time
	// pendingTOTP is a secret being enrolled, until a code proves the
	// authenticator has it.
	pendingTOTP string
}

type sessions struct {
	idle time.Duration
	now  func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(idle time.Duration, now func() time.Time) *sessions {
	return &sessions{idle: idle, now: now, byID: map[string]*session{}}
}

func randomID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // the platform's RNG failing is not recoverable
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a new session under a fresh id. Callers delete the
// pre-login session first: a session id never survives a privilege change
// (no fixation).
func (s *sessions) create(account string, mfaDone bool) session {
	now := s.now()
	ss := &session{id: randomID(), account: account, csrf: randomID(), mfaDone: mfaDone, created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[ss.id] = ss
	if len(s.byID)%1024 == 0 {
		s.sweepLocked(now)
	}
	return *ss
}

// get returns the session and refreshes its idle timer.
func (s *sessions) get(id string) (session, bool) {
	if id == "" {
		return session{}, false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return session{}, false
	}
	if now.Sub(ss.lastSeen) >= s.idle {
		delete(s.byID, id)
		return session{}, false
	}
	ss.lastSeen = now
	return *ss, true
}

// rotate replaces id by a new session with the same account, as after the
// second factor: the old id stops working.
func (s *sessions) rotate(id string, mfaDone bool) (session, bool) {
	s.mu.Lock()
	old, ok := s.byID[id]
	if ok {
		delete(s.byID, id)
	}
	s.mu.Unlock()
	if !ok {
		return session{}, false
	}
	return s.create(old.account, mfaDone), true
}

func (s *sessions) update(id string, fn func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byID[id]; ok {
		fn(ss)
	}
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// deleteAccount ends every session of an account (password or role change).
func (s *sessions) deleteAccount(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.byID {
		if ss.account == account {
			delete(s.byID, id)
		}
	}
}

func (s *sessions) sweepLocked(now time.Time) {
	for id, ss := range s.byID {
		if now.Sub(ss.lastSeen) >= s.idle {
			delete(s.byID, id)
		}
	}
}

func equalToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// limiter counts failed logins per key (an account name, a client address)
// in a sliding window; at max failures the key is locked until the oldest
// failure leaves the window.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, failures: map[string][]time.Time{}}
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = fs
	}
	return fs
}

// locked reports whether key may not try now, and until when.
func (l *limiter) locked(key string) (bool, time.Time) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.recent(key, now)
	if len(fs) >= l.max {
		return true, fs[len(fs)-l.max].Add(l.window)
	}
	return false, time.Time{}
}

func (l *limiter) fail(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.recent(key, now)
	if len(fs) >= 4*l.max {
		fs = fs[1:] // bounded memory per key
	}
	l.failures[key] = append(fs, now)
	if len(l.failures) > 100_000 { // bounded memory overall: forget the oldest keys' state
		for k := range l.failures {
			delete(l.failures, k)
			if len(l.failures) <= 50_000 {
				break
			}
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.failures, key)
	l.mu.Unlock()
}
