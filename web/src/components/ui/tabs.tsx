import * as T from "@radix-ui/react-tabs";
import { cn } from "@/lib/utils";

export function Tabs({
  value,
  onChange,
  items,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  items: { value: string; label: string }[];
  label: string;
}) {
  return (
    <T.Root value={value} onValueChange={onChange}>
      <T.List aria-label={label} className="inline-flex rounded-md bg-muted p-1">
        {items.map((i) => (
          <T.Trigger
            key={i.value}
            value={i.value}
            className={cn(
              "rounded px-3 py-1 text-sm text-muted-foreground data-[state=active]:bg-card data-[state=active]:text-foreground data-[state=active]:shadow-sm",
            )}
          >
            {i.label}
          </T.Trigger>
        ))}
      </T.List>
    </T.Root>
  );
}
