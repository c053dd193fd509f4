// Colour on or off (NO_COLOR, FORCE_COLOR, TERM=dumb) for every component, decided once at start.
import {createContext, useContext} from 'react'

import type {LagStatus} from '../core/lag/model.js'

export interface Theme {
  color: boolean
  /** Unicode block characters for sparklines and bars (off on TERM=linux / dumb consoles). */
  unicode: boolean
}

export const ThemeContext = createContext<Theme>({color: false, unicode: true})

export function useTheme(): Theme {
  return useContext(ThemeContext)
}

const STATUS_COLORS: Record<LagStatus, string> = {
  OK: 'green',
  WARN: 'yellow',
  STALL: 'magenta',
  STOP: 'red',
  ERR: 'red',
}

/** A colour name, or undefined when colour is off. */
export function tint(theme: Theme, color: string | undefined): string | undefined {
  return theme.color ? color : undefined
}

export function statusColor(theme: Theme, status: LagStatus | undefined): string | undefined {
  return status ? tint(theme, STATUS_COLORS[status]) : undefined
}
