//! Parameter stability: how much a metric falls around a chosen point of a two-parameter
//! grid. A plateau (neighbours nearly as good) is more trustworthy than a lone peak.

use serde::{Deserialize, Serialize};

/// A neighbourhood that keeps at least this share of the point's value is a plateau.
pub const PLATEAU_SHARE: f64 = 0.75;

/// The metric around one cell of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Column of the point.
    pub x: usize,
    /// Row of the point.
    pub y: usize,
    /// The metric at the point.
    pub value: f64,
    /// Neighbours (up to 8 adjacent cells) with a value.
    pub neighbours: usize,
    /// Their mean.
    pub neighbour_mean: f64,
    /// Their lowest value.
    pub neighbour_min: f64,
    /// `(value - neighbour_mean) / |value| × 100`: how far the neighbourhood falls, in percent.
    pub drop_pct: f64,
    /// True when the neighbours keep at least [`PLATEAU_SHARE`] of the value.
    pub plateau: bool,
}

/// The stability of cell `(x, y)` of `grid` (`grid[y][x]`, `None` = no value). `None` when
/// the cell has no value, no neighbour has one, or the value is 0.
pub fn stability(grid: &[Vec<Option<f64>>], x: usize, y: usize) -> Option<Stability> {
    let value = (*grid.get(y)?.get(x)?)?;
    if value == 0.0 || !value.is_finite() {
        return None;
    }
    let mut vals = Vec::new();
    for dy in -1i64..=1 {
        for dx in -1i64..=1 {
            if dx == 0 && dy == 0 {
                continue;
            }
            let (nx, ny) = (x as i64 + dx, y as i64 + dy);
            if nx < 0 || ny < 0 {
                continue;
            }
            if let Some(Some(v)) = grid.get(ny as usize).and_then(|r| r.get(nx as usize)) {
                if v.is_finite() {
                    vals.push(*v);
                }
            }
        }
    }
    if vals.is_empty() {
        return None;
    }
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let drop_pct = (value - mean) / value.abs() * 100.0;
    Some(Stability {
        x,
        y,
        value,
        neighbours: vals.len(),
        neighbour_mean: mean,
        neighbour_min: min,
        drop_pct,
        plateau: drop_pct <= (1.0 - PLATEAU_SHARE) * 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_peak_is_not_a_plateau() {
        let g = vec![
            vec![Some(0.1), Some(0.1), Some(0.1)],
            vec![Some(0.1), Some(2.0), Some(0.1)],
            vec![Some(0.1), None, Some(0.1)],
        ];
        let s = stability(&g, 1, 1).unwrap();
        assert_eq!(s.neighbours, 7);
        assert!(!s.plateau);
        assert!((s.drop_pct - 95.0).abs() < 1e-9);
        let flat = vec![vec![Some(1.0), Some(0.9)], vec![Some(0.95), Some(1.0)]];
        let s = stability(&flat, 0, 0).unwrap();
        assert!(s.plateau && s.neighbours == 3);
        assert!(stability(&flat, 5, 0).is_none());
    }
}
