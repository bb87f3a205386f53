// Settings: profile, plan and usage, and the theme.

import { create } from 'zustand';
import { useApp } from '../../common/app';
import { api } from '../../ipc';
import type { Profile, Theme } from '../../ipc/types';

interface SettingsState {
  profile: Profile | null;
  loadProfile: () => Promise<void>;
  saveProfile: (displayName: string, email: string) => Promise<void>;
  setTheme: (theme: Theme) => Promise<void>;
}

export const useSettings = create<SettingsState>()((set, get) => ({
  profile: null,
  loadProfile: async () => {
    try {
      set({ profile: await api.profileGet() });
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  saveProfile: async (displayName, email) => {
    try {
      const user = await api.profileUpdate(displayName, email);
      const p = get().profile;
      if (p) set({ profile: { ...p, user } });
      useApp.getState().notify('Profile saved');
    } catch (e) {
      useApp.getState().fail(e);
    }
  },
  setTheme: async (theme) => {
    useApp.getState().setTheme(theme);
    try {
      localStorage.setItem('sg-theme', theme);
    } catch {
      // Storage may be unavailable; the backend setting is the real one.
    }
    await api.settingsPut({ theme }).catch(() => undefined);
  },
}));
