package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Where a sign-in is kept, as SealedCache.Storage reports it.
const (
	StorageKeyring = "keyring" // sealed on disk with a key held by the OS keyring: survives restarts
	StorageMemory  = "memory"  // this run only: the keyring is unavailable or the file can't be written
)

// WarningKeyringUnavailable is what the user is told when the sign-in is kept in memory only.
const WarningKeyringUnavailable = "not remembered: keyring unavailable"

// SealedCache keeps MSAL's token cache (refresh tokens included) across restarts without
// ever writing it in plaintext: a random 32-byte key lives in the OS keyring (44 bytes as
// base64, well inside the Windows 2560-byte and macOS ~3000-byte limits, where the cache
// itself, ~10 KB, would not fit), and the cache is sealed with AES-256-GCM into a 0600 file,
// written atomically. The associated data binds the file to its keyring service and account,
// so a file copied to another account's name does not open.
//
// It implements MSAL Go's cache.ExportReplace. Nothing it meets is fatal:
//   - key missing, file missing or unreadable, seal broken: an empty cache, that is signed out;
//   - but a sealed file that is not a regular file (a folder, a named pipe, a link to a device)
//     or is too large is the user's to fix, not a sign-out: Check and Replace say so
//     (*FileError, "the sign-in file … is not a regular file (a named pipe): …");
//   - keyring unavailable (none, locked, hung past the timeout): the cache lives in memory for
//     this run, Storage() is "memory" and Warning() says "not remembered: keyring unavailable".
//     Never a plaintext fallback.
//   - Export never returns a persistence error (it logs it): MSAL fails an interactive sign-in
//     that succeeded in the browser when Export returns one.
//
// Use one SealedCache per tenant; MSAL clients of that tenant (one per client id) may share it.
type SealedCache struct {
	kr      *Keyring
	service string
	account string
	file    string
	log     *slog.Logger

	now func() time.Time

	mu      sync.Mutex
	key     []byte // the sealing key once read or created
	memory  bool   // this run keeps the cache in memory only
	mem     []byte // the cache in memory mode
	warning string
	// down: memory only because the keyring failed (rather than none being given or the file
	// not writable). The keyring is asked again from retryAt on, with a back-off that doubles
	// per failure (keyringRetryBase, at most keyringRetryMax): a keyring that comes back (a
	// Secret Service that started late, a wallet unlocked) is used again, with the saved sign-in.
	down     bool
	failures int
	retryAt  time.Time
}

// Back-off of keyring retries after a failure. Each try may cost the keyring's timeout (3 s)
// when it hangs, so not more often than this; a sign-in made meanwhile is kept in memory.
const (
	keyringRetryBase = 15 * time.Second
	keyringRetryMax  = 5 * time.Minute
)

// SealedCacheOptions configure a SealedCache.
type SealedCacheOptions struct {
	// Keyring holds the sealing key. Nil: memory only (Storage "memory").
	Keyring *Keyring
	// Service is the keyring service name: Paths.KeyringService ("pimtray" or "pimtray-demo").
	Service string
	// Account names the key in the keyring and the file: one per tenant (the tenant id).
	Account string
	// Dir is the folder of the sealed file: Paths.CacheDir.
	Dir string
	// Log gets persistence problems (never any secret). Nil: discarded.
	Log *slog.Logger
	// Now is the clock of the keyring retries' back-off. Nil: time.Now.
	Now func() time.Time
}

// NewSealedCache makes a sealed cache. It touches neither the keyring nor the disk until used.
func NewSealedCache(opts SealedCacheOptions) (*SealedCache, error) {
	if opts.Service == "" || opts.Account == "" {
		return nil, errors.New("sealed cache: service and account are required")
	}
	if opts.Dir == "" && opts.Keyring != nil {
		return nil, errors.New("sealed cache: a folder for the sealed file is required")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &SealedCache{
		kr:      opts.Keyring,
		service: opts.Service,
		account: opts.Account,
		file:    filepath.Join(opts.Dir, "signin-"+fileSafe(opts.Account)+".sealed"),
		log:     log.With("component", "sealed-cache", "account", opts.Account),
		now:     opts.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.kr == nil {
		c.memory, c.warning = true, WarningKeyringUnavailable
	}
	return c, nil
}

// Check tells, without reading it or asking the keyring, whether the sealed file is one
// pimtray will read: nil when it is a regular file within MaxSealedSize or there is none
// (signed out), else a *FileError naming it. Commands check it at start: one sentence and
// exit 2, as for the configuration and the state file.
func (c *SealedCache) Check() error {
	if c.kr == nil {
		return nil // memory only: no file
	}
	err := CheckFile(c.file, MaxSealedSize)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return &FileError{Path: fe.Path, Msg: fe.Msg, What: "the sign-in file"}
	}
	return nil // unreadable (permissions, …): Replace logs it, signed out
}

// File is the sealed file's path.
func (c *SealedCache) File() string { return c.file }

// Storage is where the sign-in is kept: StorageKeyring or StorageMemory. Until the first
// Replace or Export has asked the keyring, it is StorageKeyring (unless there is no keyring).
func (c *SealedCache) Storage() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.memory {
		return StorageMemory
	}
	return StorageKeyring
}

// Warning is "" or what to tell the user about the storage ("not remembered: keyring unavailable").
func (c *SealedCache) Warning() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.warning
}

// Replace loads the stored cache into MSAL (cache.ExportReplace). With nothing usable stored
// it leaves MSAL's cache as it is (empty in a new process: signed out) and returns nil; it
// returns only the context's error and, for a sealed file that is not a regular file or is
// too large, the *FileError Check returns (the user must move it; never a silent sign-out).
func (c *SealedCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.retryKeyringLocked(ctx); err != nil {
		return err
	}
	if c.memory {
		if c.mem != nil {
			if err := u.Unmarshal(c.mem); err != nil {
				c.log.Warn("sign-in cache in memory does not load", "err", err)
			}
		}
		return nil
	}
	data, err := ReadFile(c.file, MaxSealedSize)
	var fe *FileError
	if errors.As(err, &fe) {
		c.log.Warn("sealed sign-in file is not a file pimtray reads", "file", c.file, "err", fe.Msg)
		return &FileError{Path: fe.Path, Msg: fe.Msg, What: "the sign-in file"}
	}
	if errors.Is(err, fs.ErrNotExist) {
		// Nothing stored: still find out now whether the keyring answers, so Storage()
		// tells the truth before a sign-in.
		if _, kerr := c.loadKey(ctx); kerr != nil && !errors.Is(kerr, ErrNotFound) {
			return c.keyringFailed(ctx, kerr)
		}
		return nil
	}
	if err != nil {
		c.log.Warn("sealed sign-in file unreadable: signed out", "file", c.file, "err", unwrapPathError(err))
		return nil
	}
	cached := c.key != nil
	key, err := c.loadKey(ctx)
	if errors.Is(err, ErrNotFound) {
		c.log.Info("sealed sign-in file without its key in the keyring: signed out", "file", c.file)
		return nil
	}
	if err != nil {
		return c.keyringFailed(ctx, err)
	}
	plain, err := c.open(key, data)
	if err != nil && cached {
		// Another process may have signed out and in again with a new key: read it once more.
		c.key = nil
		if key, kerr := c.loadKey(ctx); kerr == nil {
			plain, err = c.open(key, data)
		}
	}
	if err != nil {
		c.log.Warn("sealed sign-in file does not open: signed out", "file", c.file, "err", err)
		return nil
	}
	if err := u.Unmarshal(plain); err != nil {
		c.log.Warn("sealed sign-in cache does not load: signed out", "file", c.file, "err", err)
	}
	return nil
}

// Export stores MSAL's cache (cache.ExportReplace). Persistence problems are logged and
// swallowed (see the type's doc); it returns only the context's error.
func (c *SealedCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	data, err := m.Marshal()
	if err != nil {
		c.log.Warn("sign-in cache does not serialize", "err", err)
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem = nil
	if err := c.retryKeyringLocked(ctx); err != nil {
		return err
	}
	if c.memory {
		c.mem = data
		return nil
	}
	key, err := c.loadKey(ctx)
	if errors.Is(err, ErrNotFound) {
		key, err = c.createKey(ctx)
	}
	if err != nil {
		c.mem = data
		return c.keyringFailed(ctx, err)
	}
	sealed, err := c.seal(key, data)
	if err == nil {
		err = writeFileAtomic(c.file, sealed)
	}
	if err != nil {
		c.log.Warn("sign-in not saved: kept in memory for this run", "file", c.file, "err", err)
		c.memory, c.mem = true, data
		c.warning = "not remembered: cannot write " + displayPath(c.file)
	}
	return nil
}

// Delete forgets the stored sign-in: the sealed file and its key. In memory mode it clears
// the memory. It returns the first problem met, after trying both.
func (c *SealedCache) Delete(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem = nil
	var errs []error
	if err := os.Remove(c.file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove %s: %s", displayPath(c.file), unwrapPathError(err)))
	}
	c.key = nil
	if c.kr != nil {
		if err := c.kr.Delete(ctx, c.service, c.account); err != nil && !errors.Is(err, ErrNotFound) && !c.memory {
			errs = append(errs, fmt.Errorf("forget the sign-in key: %w", err))
		}
	}
	return errors.Join(errs...)
}

// keyringFailed switches to memory for this run (once, with the warning) unless the failure
// is the caller's own cancellation, which MSAL wants back.
func (c *SealedCache) keyringFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	if !c.memory {
		c.log.Warn("keyring unavailable: the sign-in is kept in memory until it answers again", "err", err)
	}
	c.failures++
	c.retryAt = c.now().Add(min(keyringRetryBase<<min(c.failures-1, 10), keyringRetryMax))
	c.memory, c.down, c.warning = true, true, WarningKeyringUnavailable
	return nil
}

// retryKeyringLocked asks a keyring that failed again once its back-off has passed. When it
// answers, the cache leaves memory mode: a sign-in made meanwhile is sealed into the file
// (it is the newest), else the saved one is read from the file again. It returns only the
// context's error.
func (c *SealedCache) retryKeyringLocked(ctx context.Context) error {
	if !c.memory || !c.down || c.now().Before(c.retryAt) {
		return nil
	}
	c.key = nil
	_, err := c.loadKey(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return c.keyringFailed(ctx, err)
	}
	c.log.Info("keyring answers again: the sign-in is kept in it", "after_failures", c.failures)
	c.memory, c.down, c.warning, c.failures = false, false, "", 0
	if c.mem == nil {
		return nil
	}
	mem := c.mem
	c.mem = nil
	key, err := c.loadKey(ctx)
	if errors.Is(err, ErrNotFound) {
		key, err = c.createKey(ctx)
	}
	if err != nil {
		c.mem = mem
		return c.keyringFailed(ctx, err)
	}
	sealed, err := c.seal(key, mem)
	if err == nil {
		err = writeFileAtomic(c.file, sealed)
	}
	if err != nil {
		c.log.Warn("sign-in not saved: kept in memory for this run", "file", c.file, "err", err)
		c.memory, c.mem = true, mem
		c.warning = "not remembered: cannot write " + displayPath(c.file)
	}
	return nil
}

func (c *SealedCache) loadKey(ctx context.Context) ([]byte, error) {
	if c.key != nil {
		return c.key, nil
	}
	s, err := c.kr.Get(ctx, c.service, c.account)
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != 32 {
		// Not ours or damaged: as good as missing. A new key will replace it on the next save.
		c.log.Warn("sign-in key in the keyring is damaged: signed out")
		return nil, ErrNotFound
	}
	c.key = key
	return key, nil
}

func (c *SealedCache) createKey(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make a sign-in key: %w", err)
	}
	if err := c.kr.Set(ctx, c.service, c.account, base64.StdEncoding.EncodeToString(key)); err != nil {
		return nil, err
	}
	// Read it back: if another process created one at the same moment, both use the winner.
	c.key = nil
	return c.loadKey(ctx)
}

// Sealed file layout: magic "PTS1" | 12-byte nonce | AES-256-GCM ciphertext+tag.
var sealMagic = []byte("PTS1")

func (c *SealedCache) ad() []byte {
	return []byte("pimtray sealed sign-in cache v1\x00" + c.service + "\x00" + c.account)
}

func (c *SealedCache) seal(key, plain []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := append(append([]byte{}, sealMagic...), nonce...)
	return gcm.Seal(out, nonce, plain, c.ad()), nil
}

func (c *SealedCache) open(key, data []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(data) < len(sealMagic)+gcm.NonceSize()+gcm.Overhead() || string(data[:len(sealMagic)]) != string(sealMagic) {
		return nil, errors.New("not a sealed pimtray file")
	}
	data = data[len(sealMagic):]
	plain, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], c.ad())
	if err != nil {
		return nil, errors.New("the seal is broken (another key, or the file was changed)")
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// fileSafe turns an account name into a file name part: readable when it is already safe,
// with a short hash when characters had to be replaced (so two accounts never collide).
func fileSafe(s string) string {
	var b strings.Builder
	changed := false
	for _, r := range s {
		switch {
		case r == '.' && b.Len() == 0: // no hidden files, no ".."
			b.WriteByte('_')
			changed = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
			changed = true
		}
	}
	out := b.String()
	if changed || len(out) > 80 {
		sum := sha256.Sum256([]byte(s))
		if len(out) > 60 {
			out = out[:60]
		}
		out += "-" + hex.EncodeToString(sum[:4])
	}
	return out
}
