// Settings: profile (name, email, roles), plan and usage meters, data directory, theme,
// sync with a remote server (see `SyncSection`) and roles on it (`AdminSection`).

import { useEffect, useState } from 'react';
import { useApp } from '../../common/app';
import { fmtDateTime } from '../../common/format';
import { useSettings } from './store';
import { SyncSection } from './SyncSection';
import { AdminSection } from './AdminSection';

export function SettingsView() {
  const profile = useSettings((s) => s.profile);
  const info = useApp((s) => s.info);
  const theme = useApp((s) => s.theme);
  const { loadProfile, saveProfile, setTheme } = useSettings.getState();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  useEffect(() => {
    void loadProfile();
  }, [loadProfile]);
  useEffect(() => {
    if (profile) {
      setName(profile.user.displayName);
      setEmail(profile.user.email);
    }
  }, [profile]);
  return (
    <div className="page" data-testid="settings-view">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <div
        style={{
          display: 'grid',
          gridTemplateColumns: 'repeat(auto-fit, minmax(340px, 1fr))',
          gap: 14,
          maxWidth: 1100,
        }}
      >
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void saveProfile(name.trim(), email.trim());
          }}
        >
          <h3 style={{ marginBottom: 10 }}>Profile</h3>
          <div className="form">
            <label>Name</label>
            <input
              className="input"
              value={name}
              onChange={(e) => setName(e.target.value)}
              data-testid="profile-name"
            />
            <label>Email</label>
            <input
              className="input"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              data-testid="profile-email"
            />
            <label>Roles</label>
            <div>
              {profile?.user.roles.map((r) => (
                <span key={r} className="tag">
                  {r}
                </span>
              )) ?? '—'}
            </div>
          </div>
          <div className="row" style={{ justifyContent: 'flex-end', marginTop: 10 }}>
            <button className="btn primary" type="submit" disabled={!profile}>
              Save profile
            </button>
          </div>
        </form>
        <div className="card" data-testid="plan-usage">
          <h3 style={{ marginBottom: 10 }}>Plan and usage</h3>
          <div className="row" style={{ marginBottom: 10 }}>
            <b style={{ fontSize: 15 }}>
              {profile?.plan?.planCode ?? profile?.user.planTier ?? '—'}
            </b>
            {profile?.plan && <span className="badge">{profile.plan.status}</span>}
            {profile?.plan?.renewalAt && (
              <span className="muted">renews {fmtDateTime(profile.plan.renewalAt)}</span>
            )}
          </div>
          {profile?.usage.map((u) => {
            const pct = u.limit ? Math.min(100, (100 * u.used) / u.limit) : 0;
            return (
              <div key={u.metric} style={{ marginBottom: 10 }} data-testid={`usage-${u.metric}`}>
                <div className="row" style={{ fontSize: 12 }}>
                  <span className="grow">{u.metric.replace(/_/g, ' ')}</span>
                  <span>
                    {u.used} / {u.limit ?? '∞'}
                  </span>
                </div>
                <div className={`meter ${u.limit !== null && u.used >= u.limit ? 'full' : ''}`}>
                  <div style={{ width: `${pct}%` }} />
                </div>
                {u.resetsAt && (
                  <div className="muted" style={{ fontSize: 11 }}>
                    resets {fmtDateTime(u.resetsAt)}
                  </div>
                )}
              </div>
            );
          })}
          {profile && !profile.usage.length && (
            <div className="muted">Nothing on this plan is limited.</div>
          )}
          <div className="muted" style={{ fontSize: 11 }} data-testid="local-unmetered">
            Backtests, sweeps, walk-forward and charts run on this computer and are never limited.
            The plan limits only what uses the shared server.
          </div>
        </div>
        <div className="card">
          <h3 style={{ marginBottom: 10 }}>Appearance</h3>
          <div className="row">
            <button
              className={`btn ${theme === 'light' ? 'primary' : ''}`}
              onClick={() => void setTheme('light')}
              data-testid="theme-light"
            >
              Light
            </button>
            <button
              className={`btn ${theme === 'dark' ? 'primary' : ''}`}
              onClick={() => void setTheme('dark')}
              data-testid="theme-dark"
            >
              Dark
            </button>
          </div>
        </div>
        <div className="card">
          <h3 style={{ marginBottom: 10 }}>Storage</h3>
          <div className="form">
            <label>Data directory</label>
            <span className="mono" data-testid="data-dir">
              {info?.dataDir ?? '—'}
            </span>
            <label>Database</label>
            <span className="mono">{info?.dbPath ?? '—'}</span>
            <label>Version</label>
            <span>{info?.version ?? '—'}</span>
          </div>
        </div>
        <SyncSection />
        <AdminSection />
      </div>
    </div>
  );
}
