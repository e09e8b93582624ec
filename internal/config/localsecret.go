package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LocalSecretFile is the name, inside the data directory, of the session key
// that local mode generates.
const LocalSecretFile = "session.key"

// EnsureLocalSecret returns the session secret kept in dataDir, creating it
// on first use. It is for local mode only, where no secret is configured:
// keeping the key across restarts keeps people signed in, and keeping it out
// of the source keeps two machines from sharing one.
//
// Problems are reported as a *Error naming TESSERA_DATA_DIR, the setting an
// operator would change.
func EnsureLocalSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, LocalSecretFile)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, &Error{Var: EnvDataDir, Msg: fmt.Sprintf("cannot create the data directory %s: %v", dataDir, err)}
	}
	secret, err := readLocalSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}

	// O_EXCL makes a second process starting at the same moment fail here
	// and read the winner's key, instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readLocalSecret(path)
	}
	if err != nil {
		return nil, &Error{Var: EnvDataDir, Msg: fmt.Sprintf("cannot create the session key (is the directory writable?): %v", err)}
	}
	// rand.Read never fails on the platforms Go supports.
	key := make([]byte, 32)
	rand.Read(key)
	secret = []byte(hex.EncodeToString(key))
	_, err = f.Write(append(secret, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		// A partial key would fail every later start; better to leave none.
		os.Remove(path)
		return nil, &Error{Var: EnvDataDir, Msg: fmt.Sprintf("cannot write the session key: %v", err)}
	}
	return secret, nil
}

// readLocalSecret reads an existing key. A missing file is returned as is
// (wrapping fs.ErrNotExist) so that the caller can create it.
func readLocalSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, &Error{Var: EnvDataDir, Msg: fmt.Sprintf("cannot read the session key: %v", err)}
	}
	secret := strings.TrimSpace(string(b))
	if len(secret) < MinSecretLen {
		return nil, &Error{Var: EnvDataDir, Msg: fmt.Sprintf("the session key %s is shorter than %d bytes; delete it to have a new one made", path, MinSecretLen)}
	}
	return []byte(secret), nil
}
