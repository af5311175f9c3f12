import type { StylePreset } from "@/api/types";

/** The form's "no style" choice; the styles themselves come from GET /api/styles (the UI keeps no copy). */
export const NO_STYLE: StylePreset = { id: "none", name: "None", template: "{prompt}", negative: "" };

/** The Style menu: None, then the server's styles in its order. */
export const styleChoices = (server: StylePreset[] | undefined): StylePreset[] => [NO_STYLE, ...(server ?? []).filter((s) => s.id !== NO_STYLE.id)];
