//! Starting a run: the settings checked, the stages planned, the words said.

use super::*;

impl Run {
    /// Prepares a run on `set`. `gpu` is the scene's open context, if any;
    /// it is used unless `calibrations` has measured the CPU faster for this
    /// kernel, and with `calibrate` an unmeasured kernel is timed at step 2.
    /// A patch run above 64 px is a cascade: it composes on `coarse` (the
    /// same items at [`CASCADE_EDGE`]) and refines on `set` with candidates
    /// near each pixel's position; without `coarse` it runs at the full edge
    /// throughout.
    pub fn start(
        set: Rc<Dataset>,
        coarse: Option<Rc<Dataset>>,
        o: &RunOptions,
        gpu: Option<&GpuContext>,
        calibrations: &Calibrations,
        calibrate: bool,
    ) -> Result<(Run, StartInfo), RunError> {
        let kind = DenoiserKind::parse(&o.denoiser)
            .ok_or_else(|| RunError::Denoiser(o.denoiser.clone()))?;
        let method = Method::parse(&o.method).ok_or_else(|| RunError::Method(o.method.clone()))?;
        let spectrograms = set.channels() == 1;
        if !spectrograms {
            let size = o.size.unwrap_or(set.edge());
            if !SAMPLE_EDGES.contains(&size) || size != set.edge() {
                return Err(RunError::Size(size));
            }
        }
        let tag = o.tag.clone().filter(|t| !t.is_empty());
        // The whole archive at the coarse edge, when the scene holds it.
        let archive = coarse
            .filter(|c| c.edge() == CASCADE_EDGE && !c.is_empty() && set.edge() > CASCADE_EDGE);
        let cascade = match &archive {
            Some(a) => is_cascade(kind, set.edge(), a.len()),
            None => kind == DenoiserKind::Patch && set.edge() > patch::WINDOWED_ABOVE,
        };
        let coarse = archive.clone().filter(|_| cascade);
        // A run at the full edge throughout works on the pictures it needs
        // from the start (every item, or the Gaussian's sample).
        let mut set = set;
        let mut fitted = None;
        if let (Some(a), false) = (&archive, cascade) {
            let ids = pictures_before_start(a, kind, set.edge(), tag.as_deref());
            let missing = ids.iter().filter(|id| set.index_of(id).is_none()).count();
            if missing > 0 {
                return Err(RunError::NotFetched(missing, set.edge()));
            }
            if ids.len() != set.len() {
                set = Rc::new(set.subset(&ids).expect("every id is held"));
            }
            if kind == DenoiserKind::Gaussian && ids.len() < a.len() {
                fitted = Some((ids.len(), a.len()));
            }
        }
        // A cascade may start before any full-size picture is held: it
        // chooses and fetches them at its handover.
        let full = if coarse.is_some() && set.is_empty() {
            coarse.clone().expect("checked")
        } else {
            set.clone()
        };
        if full.is_empty() {
            return Err(RunError::Empty);
        }
        if spectrograms && kind == DenoiserKind::Patch {
            return Err(RunError::NotForSpectrograms(kind.name()));
        }
        let cfg = SamplerConfig {
            edge: set.edge(),
            method,
            steps: o.steps,
            seed: u64::from(o.seed),
            schedule: ScheduleKind::Cosine,
            guidance: o.guidance,
            temperature: o.temperature,
        };
        let channels = if spectrograms { 1 } else { CHANNELS };
        let mut cpu = CpuDenoiser::new(&full, kind, tag.as_deref())
            .ok_or_else(|| RunError::Tag(tag.clone().unwrap_or_default()))?;
        if let Some(name) = o.border.as_deref() {
            cpu =
                cpu.with_border(Border::parse(name).ok_or_else(|| RunError::Border(name.into()))?);
        }
        let kernel = cpu.kernel_name();
        let measured = calibrations.get(&kernel, set.edge()).cloned();
        let gpu_open = gpu.is_some();
        let use_gpu = measured.as_ref().is_none_or(|m| m.choice() == Path::Gpu);
        // The items go to the GPU in one storage binding; an archive too large
        // for it (2,363 pictures at 128 px: 464 MB, against WebGPU's 128 MiB)
        // runs on the CPU. A cascade binds its coarse set and 64 chosen items.
        let bound = if coarse.is_some() { &full } else { &set };
        let bytes = 4 * bound.data().len() as u64;
        let too_big = gpu.and_then(|ctx| {
            let limit = ctx.device.limits().max_storage_buffer_binding_size;
            (bytes > limit).then_some(limit)
        });
        let gpu_context = gpu.filter(|_| use_gpu && too_big.is_none()).cloned();
        // A cascade's refinement twin is made at the handover, on the items chosen there.
        let gpu = gpu_context
            .as_ref()
            .filter(|_| coarse.is_none())
            .map(|ctx| {
                GpuDenoiser::new(
                    ctx.clone(),
                    &set,
                    cpu.gpu_kernel(),
                    cpu.mask(),
                    cpu.gaussian(),
                )
                .with_patch_limit(GPU_PATCH_ITEMS, o.guidance)
            });
        let coarse = match coarse {
            Some(c) => {
                let mut ccpu = CpuDenoiser::new(&c, kind, tag.as_deref())
                    .ok_or_else(|| RunError::Tag(tag.clone().unwrap_or_default()))?
                    .with_border(cpu.border());
                if gpu_context.is_none() {
                    ccpu = ccpu.with_cpu_budget();
                }
                let cgpu = gpu_context.as_ref().map(|g| {
                    GpuDenoiser::new(g.clone(), &c, kind, ccpu.mask(), None)
                        .with_patch_limit(GPU_PATCH_ITEMS, o.guidance)
                });
                Some(Coarse {
                    set: c,
                    cpu: ccpu,
                    gpu: cgpu,
                    until: 0, // set below, from the sampler's T
                })
            }
            None => None,
        };
        // A cascade's sampler starts at the coarse edge and is enlarged at the handover.
        let edge = if coarse.is_some() {
            CASCADE_EDGE
        } else {
            set.edge()
        };
        let sampler = Sampler::with_channels(SamplerConfig { edge, ..cfg }, channels)?;
        let mut coarse = coarse;
        if let Some(c) = coarse.as_mut() {
            c.until = cascade_handover(sampler.t_max());
        }
        // A cascade's kernels change size midway: they are not timed.
        let calibrate = gpu.is_some() && calibrate && measured.is_none() && coarse.is_none();
        let paths = match (gpu_open, measured) {
            (true, _) if too_big.is_some() => Some(format!(
                "The archive at {} px holds {:.0} MB, more than the {:.0} MB WebGPU can bind here, so this run is on the CPU.",
                set.edge(),
                bytes as f64 / 1e6,
                too_big.unwrap_or(0) as f64 / 1e6
            )),
            (false, _) => None,
            (true, Some(m)) => Some(m.sentence()),
            (true, None) if calibrate => Some(format!(
                "The second step times {kernel} at {} px on WebGPU and on the CPU; the faster path is kept.",
                set.edge()
            )),
            (true, None) => Some("WebGPU, as the address asks (?gpu).".to_string()),
        };
        let mut approximation = None;
        if let Some((n, of)) = fitted {
            approximation = Some(format!(
                "At {e} × {e} px the Gaussian is fitted to {n} of the archive's {of} pictures (every {every}th in its order{tagged}), fetched at {e} px, not to all of them; the recogniser weighs the same {n}.",
                e = set.edge(),
                every = of.div_ceil(GAUSSIAN_FIT_ITEMS),
                tagged = if tag.is_some() { ", and the tag's spread the same way" } else { "" },
            ));
        } else if cascade {
            if gpu_context.is_none() {
                cpu = cpu.with_cpu_budget();
            }
            approximation = Some(cascade_sentence(
                kind,
                set.edge(),
                coarse.as_ref().map(|c| (c.until, c.set.len())),
                gpu_context.is_none(),
                sampler.t_max(),
                full.len(),
            ));
        } else if gpu.is_some() && kind == DenoiserKind::Patch && set.len() > GPU_PATCH_ITEMS {
            approximation = Some(bounded_candidates_sentence(
                set.edge(),
                GPU_PATCH_ITEMS,
                set.len(),
                tag.is_some(),
                o.guidance,
                true,
            ));
        } else if gpu.is_none() && kind == DenoiserKind::Patch {
            let k = cpu_patch_items(set.edge(), set.len());
            if k < set.len() {
                cpu = cpu.with_patch_items(k);
                approximation = Some(bounded_candidates_sentence(
                    set.edge(),
                    k,
                    set.len(),
                    tag.is_some(),
                    o.guidance,
                    false,
                ));
            }
        }
        let backend = if gpu.is_some() || gpu_context.is_some() && coarse.is_some() {
            Path::Gpu
        } else {
            Path::Cpu
        };
        let mut settings = SettingsLine {
            kind,
            tag: tag.clone(),
            cfg: cfg.clone(),
            border: cpu.border(),
            patches: None,
            clauses: Vec::new(),
            path: backend,
            measured_faster: false,
        };
        if let Some(c) = coarse.as_ref().filter(|_| kind != DenoiserKind::Patch) {
            settings.clauses.push(format!(
                "a cascade: the archive posterior at {CASCADE_EDGE} px while t > {}, then at {} px over the {} items it ranks highest there",
                c.until,
                set.edge(),
                c.set.len().min(FINE_CANDIDATES)
            ));
        } else if let Some(c) = coarse.as_ref() {
            let (t_max, edge) = (sampler.t_max(), set.edge());
            settings.patches = Some(format!(
                "patches {} to {} px at {CASCADE_EDGE} px, then {} to 3 px at {edge} px (linear in t)",
                patch::largest_patch(CASCADE_EDGE),
                patch::patch_size(CASCADE_EDGE, c.until + 1, t_max),
                patch::patch_size(edge, c.until, t_max),
            ));
            let near = if edge > patch::WINDOWED_ABOVE {
                " with candidates within the patch radius of each pixel"
            } else {
                ""
            };
            settings.clauses.push(format!(
                "a cascade: composed at {CASCADE_EDGE} px while t > {}, then refined at {edge} px on {} items{near}",
                c.until,
                c.set.len().min(FINE_CANDIDATES)
            ));
        }
        if let Some((n, of)) = fitted {
            settings
                .clauses
                .push(format!("the Gaussian fitted to {n} of {of} pictures"));
        }
        if spectrograms {
            settings
                .clauses
                .push(crate::audio::spectrogram::describe_pictures());
        }
        let info = StartInfo {
            steps: sampler.total_steps(),
            backend,
            approximation,
            settings: settings.describe(),
            candidates: (kind == DenoiserKind::Patch).then(|| cpu.border().describe().to_string()),
            paths,
        };
        let run = Run {
            set,
            sampler,
            cpu,
            gpu,
            coarse,
            calibrate,
            pending: None,
            tag,
            settings,
            gpu_context,
            fine_ids: None,
            composed: None,
            kept_mass: None,
        };
        Ok((run, info))
    }
}

/// The words for a cascade, with the CPU's item counts where they apply.
/// `coarse`: the handover timestep and the coarse archive's size.
pub(super) fn cascade_sentence(
    kind: DenoiserKind,
    edge: u32,
    coarse: Option<(u32, usize)>,
    on_cpu: bool,
    t_max: u32,
    archive: usize,
) -> String {
    let fine = match coarse {
        Some((_, n)) => n.min(FINE_CANDIDATES),
        None => archive,
    };
    if kind != DenoiserKind::Patch {
        let (t, n) = coarse.unwrap_or((0, archive));
        return format!(
            "At {edge} × {edge} px the {name} denoiser works as a cascade: it follows the archive posterior of every item at {CASCADE_EDGE} px while t > {t}, then keeps the {fine} of the {n} items that posterior ranks highest, fetches their full-size pictures, enlarges its guess, adds fresh noise of the same level and finishes at {edge} px with the exact posterior over those {fine}.",
            name = kind.name()
        );
    }
    let windowed = edge > patch::WINDOWED_ABOVE;
    let near = if windowed {
        ", where each pixel takes patches only from within the patch radius of its own position"
    } else {
        ", where each pixel takes patches from every position of those items"
    };
    let mut words = match coarse {
        Some((t, n)) => {
            let kept = if n > FINE_CANDIDATES {
                format!("keeps the {fine} of the {n} items that the archive posterior of that picture ranks highest, fetches their full-size pictures, ")
            } else {
                format!("keeps all {n} items, ")
            };
            format!(
                "At {edge} × {edge} px the patch machine works as a cascade: it composes the picture at {CASCADE_EDGE} px while t > {t} (patches from every position of every item, as at {CASCADE_EDGE} px), then {kept}enlarges its guess, adds fresh noise of the same level and refines it at {edge} px{near}."
            )
        }
        None => format!(
            "At {edge} × {edge} px each pixel takes patches only from within the patch radius of its own position."
        ),
    };
    if on_cpu {
        let from = coarse.map_or(t_max, |(t, _)| t);
        let counts: Vec<usize> = [from, 1]
            .iter()
            .map(|&t| {
                let size = patch::patch_size(edge, t, t_max);
                let shape = patch::PatchShape {
                    window: windowed.then(|| patch::position_window(size)),
                    ..patch::PatchShape::everywhere(size, Border::Interior)
                };
                crate::diffusion::cpu::cpu_patch_items_for(shape, edge, fine)
            })
            .collect();
        let coarse_words = match coarse {
            Some((_, n)) if n > crate::diffusion::cpu::cpu_patch_items(CASCADE_EDGE, n) => format!(
                " At {CASCADE_EDGE} px the CPU takes each step's patches from the {} of the {n} items the archive posterior ranks highest.",
                crate::diffusion::cpu::cpu_patch_items(CASCADE_EDGE, n)
            ),
            _ => String::new(),
        };
        words.push_str(&format!(
            " On the CPU the {edge} px steps use the {}–{} items of the {fine} that the archive posterior ranks highest (more as the patches shrink); WebGPU uses all of them.{coarse_words}",
            counts[0],
            counts[1],
        ));
    } else if let Some((_, n)) = coarse.filter(|&(_, n)| n > GPU_PATCH_ITEMS) {
        words.push_str(&format!(
            " On WebGPU each {CASCADE_EDGE} px step takes its patches from the {GPU_PATCH_ITEMS} of the {n} items the archive posterior ranks highest."
        ));
    }
    words
}

/// The words for the patch denoiser's bounded candidate set on the CPU.
pub(super) fn bounded_candidates_sentence(
    edge: u32,
    k: usize,
    n: usize,
    tagged: bool,
    w: f32,
    on_gpu: bool,
) -> String {
    let side = if !tagged {
        "from the whole archive"
    } else if w == 1.0 {
        "all of them from the tag"
    } else if w == 0.0 {
        "one from the tag, the rest from the whole archive"
    } else {
        "half from the tag, half from the whole archive"
    };
    let (path, other) = if on_gpu {
        ("WebGPU", String::new())
    } else if n > GPU_PATCH_ITEMS {
        ("the CPU", format!(" WebGPU uses {GPU_PATCH_ITEMS}."))
    } else {
        ("the CPU", format!(" WebGPU uses all {n}."))
    };
    format!(
        "On {path} at {edge} × {edge} px the patch denoiser takes its patches from only {k} of the {n} archive items at each step: those the archive posterior ranks highest, {side}.{other}"
    )
}
