import { useQuery } from "@tanstack/react-query";
import { aspectQuery } from "@/lib/aspect";
import { cn } from "@/lib/utils";

/** A radio group of little rectangles, one per aspect preset the server has (GET /api/aspect-ratios). */
export function AspectSelector({ value, onChange }: { value: string | null; onChange: (id: string) => void }) {
  const { data: presets } = useQuery(aspectQuery);
  return (
    <div role="radiogroup" aria-label="Aspect ratio" className="grid grid-cols-4 gap-1.5 @lg:grid-cols-8" data-testid="aspect-selector">
      {(presets ?? []).map((p) => {
        const scale = 22 / Math.max(p.width, p.height);
        const checked = value === p.id;
        return (
          <button
            key={p.id}
            type="button"
            role="radio"
            aria-checked={checked}
            aria-label={`Aspect ${p.id}`}
            onClick={() => onChange(p.id)}
            className={cn(
              "flex flex-col items-center gap-1 rounded-md border px-1 py-1.5 text-[11px]",
              checked ? "border-primary bg-accent text-primary" : "border-border text-muted-foreground hover:bg-muted",
            )}
          >
            <span className="flex h-6 items-center justify-center">
              <span
                aria-hidden
                className={cn("block rounded-[2px] border-2", checked ? "border-primary" : "border-muted-foreground/60")}
                style={{ width: Math.round(p.width * scale), height: Math.round(p.height * scale) }}
              />
            </span>
            {p.id}
          </button>
        );
      })}
    </div>
  );
}
