import * as S from "@radix-ui/react-slider";
import { cn } from "@/lib/utils";

export function Slider({
  value,
  onChange,
  min,
  max,
  step,
  label,
  className,
}: {
  value: number;
  onChange: (v: number) => void;
  min: number;
  max: number;
  step: number;
  label: string;
  className?: string;
}) {
  return (
    <S.Root
      className={cn("relative flex h-5 w-full touch-none select-none items-center", className)}
      value={[value]}
      min={min}
      max={max}
      step={step}
      onValueChange={(v) => onChange(v[0])}
    >
      <S.Track className="relative h-1.5 grow rounded-full bg-muted">
        <S.Range className="absolute h-full rounded-full bg-primary" />
      </S.Track>
      <S.Thumb aria-label={label} className="block h-4 w-4 rounded-full border-2 border-primary bg-card shadow" />
    </S.Root>
  );
}
