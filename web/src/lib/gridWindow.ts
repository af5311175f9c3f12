/**
 * Windowing for a grid of square tiles: only the rows in (or near) view are rendered, so a gallery
 * of 100,000 assets keeps a few dozen elements in the page. No virtualisation library is installed;
 * this is the small part of one that a fixed-size grid needs.
 */
import { useLayoutEffect, useRef, useState, type RefObject } from "react";

export interface GridLayout {
  columns: number;
  tile: number;
  rowHeight: number;
  rows: number;
  height: number;
  /** First and one-past-last item index to render. */
  start: number;
  end: number;
  /** Pixel offset of the first rendered row inside the grid. */
  offset: number;
}

export interface GridInput {
  width: number;
  count: number;
  minTile: number;
  gap: number;
  /** How far the grid's top is scrolled above the viewport's top (negative while the grid is below it). */
  scrolled: number;
  viewport: number;
  overscanRows?: number;
}

export function gridWindow({ width, count, minTile, gap, scrolled, viewport, overscanRows = 2 }: GridInput): GridLayout {
  const columns = Math.max(1, Math.floor((width + gap) / (minTile + gap)));
  const tile = Math.max(1, (width - gap * (columns - 1)) / columns);
  const rowHeight = tile + gap;
  const rows = Math.ceil(count / columns);
  const height = Math.max(0, rows * rowHeight - gap);
  const firstRow = Math.max(0, Math.floor(scrolled / rowHeight) - overscanRows);
  const lastRow = Math.min(rows, Math.ceil((scrolled + viewport) / rowHeight) + overscanRows);
  const start = Math.min(count, firstRow * columns);
  const end = Math.min(count, Math.max(start, lastRow * columns));
  return { columns, tile, rowHeight, rows, height, start, end, offset: firstRow * rowHeight };
}

function scrollParent(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const { overflowY } = getComputedStyle(p);
    if (overflowY === "auto" || overflowY === "scroll") return p;
  }
  return null;
}

/** Follows the grid's width and its position in its scrolling ancestor (or the window). */
export function useGridWindow(ref: RefObject<HTMLElement | null>, count: number, minTile: number, gap: number): GridLayout {
  const [view, setView] = useState({ width: 0, scrolled: 0, viewport: 800 });
  const measureRef = useRef<() => void>(() => {});

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const scroller = scrollParent(el);
    let frame = 0;
    const measure = () => {
      frame = 0;
      const box = el.getBoundingClientRect();
      const top = scroller ? scroller.getBoundingClientRect().top : 0;
      const viewport = scroller ? scroller.clientHeight : window.innerHeight;
      const next = { width: el.clientWidth, scrolled: top - box.top, viewport };
      setView((v) => (v.width === next.width && v.scrolled === next.scrolled && v.viewport === next.viewport ? v : next));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measureRef.current = measure;
    measure();
    const target: HTMLElement | Window = scroller ?? window;
    target.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    const ro = new ResizeObserver(schedule);
    ro.observe(el);
    if (scroller) ro.observe(scroller);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      target.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", schedule);
      ro.disconnect();
    };
  }, [ref]);

  // Content above the grid (filters wrapping, a selection bar) moves it without a scroll or a resize:
  // measure after every render (setView keeps the same state when nothing moved, so this settles).
  useLayoutEffect(() => measureRef.current());

  return gridWindow({ width: view.width, count, minTile, gap, scrolled: view.scrolled, viewport: view.viewport });
}
