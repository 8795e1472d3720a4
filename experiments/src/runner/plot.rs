//! Line plots, written as SVG and PNG with `plotters` and the bundled DejaVu Sans font
//! (no system font libraries).

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::runner::io::{temp_path, write_atomic};

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The bundled font is valid; a failure would only mean unreadable labels.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One curve.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points in data units (logs are taken by the figure).
    pub points: Vec<(f64, f64)>,
    /// An error band, `(x, lo, hi)` points in data units, shaded under the curve (empty: none).
    pub band: Vec<(f64, f64, f64)>,
}

impl Series {
    /// A curve from parallel `x` and `y` slices.
    pub fn new(name: &str, x: &[f64], y: &[f64]) -> Self {
        Self {
            name: name.into(),
            points: x.iter().cloned().zip(y.iter().cloned()).collect(),
            band: Vec::new(),
        }
    }

    /// The curve with an error band from `lo` to `hi` at the points `x`.
    pub fn with_band(mut self, x: &[f64], lo: &[f64], hi: &[f64]) -> Self {
        self.band = x
            .iter()
            .zip(lo.iter().zip(hi))
            .map(|(&x, (&l, &h))| (x, l, h))
            .collect();
        self
    }
}

/// A series in plot coordinates (logs taken, non-finite points dropped): its curve and its
/// band's outline.
struct Curve {
    name: String,
    points: Vec<(f64, f64)>,
    band: Vec<(f64, f64)>,
}

/// A figure with several curves; axes optionally in log10.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File stem: `STEM.svg` and `STEM.png` are written.
    pub stem: String,
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// log10 x axis.
    pub log_x: bool,
    /// log10 y axis.
    pub log_y: bool,
    /// The curves.
    pub series: Vec<Series>,
}

impl Figure {
    /// A figure with no curves yet.
    pub fn new(
        stem: &str,
        title: &str,
        x_label: &str,
        y_label: &str,
        log_x: bool,
        log_y: bool,
    ) -> Self {
        Self {
            stem: stem.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x,
            log_y,
            series: Vec::new(),
        }
    }

    /// Adds a curve.
    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    fn transformed(&self) -> Vec<Curve> {
        let tx = |v: f64| if self.log_x { v.log10() } else { v };
        let ty = |v: f64| if self.log_y { v.log10() } else { v };
        let finite = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
        self.series
            .iter()
            .map(|s| {
                let points = s
                    .points
                    .iter()
                    .map(|&(x, y)| (tx(x), ty(y)))
                    .filter(finite)
                    .collect();
                let band = s
                    .band
                    .iter()
                    .filter(|&&(x, lo, hi)| finite(&(tx(x), ty(lo))) && finite(&(tx(x), ty(hi))))
                    .collect::<Vec<_>>();
                let lower = band.iter().map(|&&(x, lo, _)| (tx(x), ty(lo)));
                let upper = band.iter().rev().map(|&&(x, _, hi)| (tx(x), ty(hi)));
                Curve {
                    name: s.name.clone(),
                    points,
                    band: lower.chain(upper).collect(),
                }
            })
            .collect()
    }

    /// Writes `DIR/STEM.svg` and `DIR/STEM.png` atomically; returns the file names.
    pub fn save(&self, dir: &Path) -> Result<Vec<String>> {
        register_font();
        let data = self.transformed();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
            self.draw(root, &data)?;
        }
        let svg_name = format!("{}.svg", self.stem);
        write_atomic(&dir.join(&svg_name), svg.as_bytes())?;
        let png_name = format!("{}.png", self.stem);
        let png = dir.join(&png_name);
        let tmp = temp_path(&png, "png");
        {
            let root = BitMapBackend::new(&tmp, (800, 500)).into_drawing_area();
            self.draw(root, &data)?;
        }
        std::fs::rename(&tmp, &png).map_err(|e| Error::io(&png, e))?;
        Ok(vec![svg_name, png_name])
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>, data: &[Curve]) -> Result<()> {
        let err = |e: &dyn std::fmt::Debug| Error::Other(format!("figure {}: {e:?}", self.stem));
        let (xr, yr) = ranges(data);
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let lx = if self.log_x {
            format!("log10 {}", self.x_label)
        } else {
            self.x_label.clone()
        };
        let ly = if self.log_y {
            format!("log10 {}", self.y_label)
        } else {
            self.y_label.clone()
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(lx)
            .y_desc(ly)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, c) in data.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            if c.band.len() >= 3 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        c.band.clone(),
                        color.mix(0.2).filled(),
                    )))
                    .map_err(|e| err(&e))?;
            }
            chart
                .draw_series(LineSeries::new(
                    c.points.iter().cloned(),
                    color.stroke_width(2),
                ))
                .map_err(|e| err(&e))?
                .label(c.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
        Ok(())
    }
}

fn ranges(data: &[Curve]) -> ((f64, f64), (f64, f64)) {
    let pts = data.iter().flat_map(|c| c.points.iter().chain(&c.band));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let pad = |a: f64, b: f64| {
        if a > b {
            (0.0, 1.0)
        } else if a == b {
            (a - 1.0, b + 1.0)
        } else {
            let p = 0.05 * (b - a);
            (a - p, b + p)
        }
    };
    (pad(x0, x1), pad(y0, y1))
}

impl Series {
    /// The curve `(t, column)` of a trace.
    pub fn from_trace(name: &str, trace: &crate::runner::Trace, column: &str) -> Self {
        Self::new(name, &trace.t(), &trace.col(column))
    }
}
