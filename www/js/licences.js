// Plain names and links for the licences the archive allows (SPDX ids; see src/archive/mod.rs).
const LICENCES = {
  "CC0-1.0": ["CC0 1.0 (public domain dedication)", "https://creativecommons.org/publicdomain/zero/1.0/"],
  "CC-PDDC": ["Public domain (Creative Commons dedication and certification)", "https://creativecommons.org/licenses/publicdomain/"],
  "CC-BY-2.0": ["CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"],
  "CC-BY-4.0": ["CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"],
  MIT: ["MIT licence", "https://spdx.org/licenses/MIT.html"],
  "LicenseRef-PD-NASA": ["Public domain (NASA)", "https://www.nasa.gov/nasa-brand-center/images-and-media/"],
};

export function licenceName(id) {
  return LICENCES[id]?.[0] ?? id;
}

export function licenceUrl(id) {
  return LICENCES[id]?.[1] ?? null;
}
