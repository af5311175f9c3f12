import { describe, expect, it } from "vitest";
import { gridWindow } from "./gridWindow";
import { dayStart, filtersFrom } from "@/pages/AssetsPage";

describe("gridWindow", () => {
  const base = { minTile: 150, gap: 8, viewport: 800 };

  it("renders only the rows in view plus the overscan, however many items there are", () => {
    const w = gridWindow({ ...base, width: 1600, count: 100_000, scrolled: 0 });
    expect(w.columns).toBe(10);
    expect(w.start).toBe(0);
    expect(w.end - w.start).toBeLessThanOrEqual(w.columns * (Math.ceil(800 / w.rowHeight) + 2));
    expect(w.height).toBeCloseTo(w.rows * w.rowHeight - 8);
  });

  it("follows the scroll position deep into the grid", () => {
    const w = gridWindow({ ...base, width: 1600, count: 100_000, scrolled: 500_000 });
    const firstVisibleRow = Math.floor(500_000 / w.rowHeight);
    expect(w.start).toBe((firstVisibleRow - 2) * w.columns);
    expect(w.offset).toBe((firstVisibleRow - 2) * w.rowHeight);
    expect(w.end).toBeGreaterThan(w.start);
  });

  it("fits at least one column on a narrow screen and never passes the count", () => {
    const narrow = gridWindow({ ...base, width: 300, count: 3, scrolled: 0 });
    expect(narrow.columns).toBe(1);
    expect(narrow.end).toBe(3);
    const phone = gridWindow({ ...base, width: 310, count: 7, scrolled: -200 });
    expect(phone.columns).toBe(2);
    expect([phone.start, phone.end]).toEqual([0, 7]);
    expect(gridWindow({ ...base, width: 0, count: 0, scrolled: 0 })).toMatchObject({ start: 0, end: 0, height: 0 });
  });
});

describe("gallery filters from the URL", () => {
  it("maps tabs, favourites and a day range to the API's parameters", () => {
    const f = filtersFrom(new URLSearchParams("tab=videos&fav=1&model=m&session=s&from=2026-12-01&to=2026-12-01"), "fox");
    expect(f).toMatchObject({ kind: "video", favorite: true, model: "m", session_id: "s", search: "fox" });
    expect(f.created_before! - f.created_after!).toBeGreaterThanOrEqual(23 * 3600); // the whole day (DST-safe)
    expect(filtersFrom(new URLSearchParams(""), "")).toEqual({
      kind: undefined, model: undefined, session_id: undefined, favorite: undefined, created_after: undefined, created_before: undefined, search: undefined,
    });
    expect(dayStart("not a day")).toBeUndefined();
  });
});
