// Roles on the shared server: an administrator grants or takes away a user's role (trader,
// educator, reviewer, admin) by e-mail address or user id. The server refuses anyone else.

import { useState } from 'react';
import { api } from '../../ipc';
import type { IpcError } from '../../ipc/types';

const ROLES = ['trader', 'educator', 'reviewer', 'admin'];

export function AdminSection() {
  const [user, setUser] = useState('');
  const [role, setRole] = useState('educator');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const change = async (revoke: boolean) => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const roles = await api.adminGrant(user.trim(), role, revoke);
      setResult(`${user.trim()} now holds: ${roles.join(', ')}`);
    } catch (e) {
      setError((e as IpcError).message ?? String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card" data-testid="admin-roles">
      <h3 style={{ marginBottom: 10 }}>Roles on the shared server</h3>
      <p className="muted" style={{ fontSize: 11 }}>
        Administrators only: the server refuses anyone else.
      </p>
      <div className="form">
        <label>User</label>
        <input
          className="input"
          placeholder="e-mail address or user id"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          data-testid="admin-user"
        />
        <label>Role</label>
        <select value={role} onChange={(e) => setRole(e.target.value)} data-testid="admin-role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="row" style={{ justifyContent: 'flex-end', marginTop: 10 }}>
        <button
          className="btn"
          disabled={busy || !user.trim()}
          onClick={() => void change(true)}
          data-testid="admin-revoke"
        >
          Take away
        </button>
        <button
          className="btn primary"
          disabled={busy || !user.trim()}
          onClick={() => void change(false)}
          data-testid="admin-grant"
        >
          Grant
        </button>
      </div>
      {result && (
        <div className="muted" data-testid="admin-result">
          {result}
        </div>
      )}
      {error && (
        <div className="banner error" data-testid="admin-error">
          {error}
        </div>
      )}
    </div>
  );
}
